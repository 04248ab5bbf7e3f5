/**
 * Independent checks of a built NTFS volume with The Sleuth Kit (ifind, istat) and ntfsfix, used by
 * the generators to confirm that a feature they aimed for (fragmentation, attribute list, compression)
 * is really on disk before recording it as a fact.
 */
import { run } from '../util/run.js';

/** MFT entry number of `path` (volume path, `/`-separated), via `ifind -n`. */
export async function inodeOf(volume: string, path: string, offsetSectors = 0): Promise<number> {
  const { stdout } = await run('ifind', ['-f', 'ntfs', '-o', String(offsetSectors), '-n', path, volume]);
  const n = Number.parseInt(stdout.trim(), 10);
  if (!Number.isFinite(n)) throw new Error(`ifind found no ${path} in ${volume}`);
  return n;
}

/** `istat` text of an MFT entry. */
export async function istat(volume: string, inode: number | string, offsetSectors = 0): Promise<string> {
  return (await run('istat', ['-f', 'ntfs', '-o', String(offsetSectors), volume, String(inode)])).stdout;
}

/**
 * Number of contiguous cluster runs of the unnamed $DATA attribute, from the cluster list istat prints
 * after the attribute's header line (sparse runs print as 0 and count as breaks).
 */
export function countRuns(istatText: string): number {
  const lines = istatText.split('\n');
  const start = lines.findIndex((l) => /^Type: \$DATA \(128-\d+\)\s+Name: N\/A\s+Non-Resident/.test(l));
  if (start < 0) return 0;
  const clusters: number[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith('Type:') || l.trim() === '') break;
    for (const t of l.trim().split(/\s+/)) clusters.push(Number(t));
  }
  let runs = 0;
  for (let i = 0; i < clusters.length; i++) if (i === 0 || clusters[i] !== clusters[i - 1]! + 1) runs++;
  return runs;
}

/** Whether the entry has an $ATTRIBUTE_LIST. */
export function hasAttributeList(istatText: string): boolean {
  return /Type: \$ATTRIBUTE_LIST/.test(istatText);
}

/** `ntfsfix -n` on a file holding just the volume; resolves with its output, throws if not clean. */
export async function ntfsfixCheck(volume: string): Promise<string> {
  const { stdout } = await run('ntfsfix', ['-n', volume]);
  if (!/processed successfully/.test(stdout)) throw new Error(`ntfsfix -n ${volume}: ${stdout}`);
  return stdout;
}
