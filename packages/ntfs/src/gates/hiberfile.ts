/**
 * hiberfil.sys: is Windows hibernated (or in a fast-startup "hybrid shutdown")
 * on this volume? ntfs-3g (volume.c ntfs_volume_check_hiberfile) reads the
 * first 4096 bytes of /hiberfil.sys: a file shorter than that, or starting
 * with "hibr" or "HIBR", means hibernated. We also refuse "RSTR"/"rstr"
 * (a resume that had started: the memory image is still the live state);
 * "wake" (resumed) and zeros are fine.
 */
export const HIBERFILE_HEADER_SIZE = 4096;

export interface HiberfileVerdict { hibernated: boolean; signature: string; reason: string }

/** Judges the first bytes of hiberfil.sys (`header` may be shorter than 4096 when the file is). */
export function judgeHiberfile(header: Uint8Array, fileSize: number): HiberfileVerdict {
  const signature = String.fromCharCode(...header.subarray(0, 4)).replace(/[^\x20-\x7e]/g, '.');
  if (fileSize < HIBERFILE_HEADER_SIZE) {
    return { hibernated: true, signature, reason: `hiberfil.sys is only ${fileSize} bytes (ntfs-3g treats a short file as a hibernated non-system partition)` };
  }
  if (['hibr', 'HIBR', 'RSTR', 'rstr'].includes(signature)) {
    return { hibernated: true, signature, reason: `hiberfil.sys starts with "${signature}": Windows is hibernated or stopped by fast startup` };
  }
  return { hibernated: false, signature, reason: `hiberfil.sys header "${signature}" is not a hibernation image` };
}
