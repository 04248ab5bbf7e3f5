/**
 * Finds and validates the VHD footer: the 512 bytes at the end of the file,
 * or (dynamic and differencing disks) the copy at offset 0 when the trailing
 * one is damaged.
 *
 * References: Microsoft VHD specification 1.0 (2006), "Hard Disk Footer
 * Format" (the copy at offset 0 exists "for redundancy"); libvhdi format
 * document §2. qemu block/vpc.c falls back to the copy at offset 0 too.
 */
import { toSafeNumber, type ByteSource } from '@coldfix/io';
import { computeVhdChecksum } from './codec/checksum.js';
import { diskTypeName, VHD_FOOTER_CHECKSUM_OFFSET, VHD_FOOTER_COOKIE, VHD_FOOTER_SIZE, VhdFooterStruct, type VhdDiskTypeName } from './layout/footer.js';
import { hex, vhdCorrupt, VHD_LAYER } from './vhd-errors.js';

export type VhdFooter = ReturnType<typeof VhdFooterStruct.decode> & { diskTypeName: VhdDiskTypeName; bytes: Uint8Array };

export interface FooterLocation {
  footer: VhdFooter;
  /** Where the trailing footer is (file size - 512); new blocks are appended here. */
  trailingOffset: number;
  /** Which copy was used. */
  copy: 'end' | 'start';
  anomalies: string[];
}

/** Cookie check only: cheap probe used by format detection. */
export function hasFooterCookie(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== VHD_FOOTER_COOKIE.charCodeAt(i)) return false;
  return true;
}

/** Decodes and validates one footer copy; throws CorruptError naming the field. */
export function decodeVhdFooter(bytes: Uint8Array, offset: number): VhdFooter {
  if (!hasFooterCookie(bytes)) {
    throw vhdCorrupt('VHD_FOOTER_COOKIE', `VHD footer: cookie is not "conectix"`, offset);
  }
  const footer = VhdFooterStruct.decode(bytes);
  const actual = computeVhdChecksum(bytes.subarray(0, VHD_FOOTER_SIZE), VHD_FOOTER_CHECKSUM_OFFSET);
  if (actual !== footer.checksum) {
    throw vhdCorrupt(
      'VHD_FOOTER_CHECKSUM',
      `VHD footer: checksum field is ${hex(footer.checksum)}, computed ${hex(actual)}`,
      offset + VHD_FOOTER_CHECKSUM_OFFSET,
      { structure: 'footer', field: 'checksum', expected: actual, actual: footer.checksum },
    );
  }
  const name = diskTypeName(footer.diskType);
  if (!name) {
    throw vhdCorrupt('VHD_FOOTER_DISK_TYPE', `VHD footer: disk type ${footer.diskType} is not 2 (fixed), 3 (dynamic) or 4 (differencing)`, offset + 60, {
      structure: 'footer',
      field: 'diskType',
      actual: footer.diskType,
    });
  }
  // Validate the sizes as safe integers now, so later code can convert freely.
  toSafeNumber(footer.currentSize, 'VHD footer currentSize', VHD_LAYER, offset + 48);
  return { ...footer, diskTypeName: name, bytes: bytes.slice(0, VHD_FOOTER_SIZE) };
}

/**
 * Reads the footer of `file`. Throws CorruptError when neither copy is valid
 * (the error of the trailing copy, with the other as `cause`).
 */
export async function readVhdFooter(file: ByteSource): Promise<FooterLocation> {
  if (file.size < VHD_FOOTER_SIZE) {
    throw vhdCorrupt('VHD_TRUNCATED', `VHD: file of ${file.size} bytes is smaller than a footer`, 0, { size: file.size });
  }
  const trailingOffset = file.size - VHD_FOOTER_SIZE;
  const anomalies: string[] = [];
  let trailingError: unknown;
  try {
    const footer = decodeVhdFooter(await file.read(trailingOffset, VHD_FOOTER_SIZE), trailingOffset);
    if (file.size % 512 !== 0) anomalies.push(`file size ${file.size} is not a multiple of 512`);
    return { footer, trailingOffset, copy: 'end', anomalies };
  } catch (error) {
    trailingError = error;
  }
  // A dynamic or differencing disk keeps a copy of its footer at offset 0.
  let copy: VhdFooter;
  try {
    copy = decodeVhdFooter(await file.read(0, VHD_FOOTER_SIZE), 0);
  } catch {
    throw trailingError;
  }
  if (copy.diskTypeName === 'fixed') throw trailingError;
  anomalies.push(`trailing footer at ${hex(trailingOffset)} is damaged (${(trailingError as Error).message}); used the copy at offset 0`);
  return { footer: copy, trailingOffset, copy: 'start', anomalies };
}
