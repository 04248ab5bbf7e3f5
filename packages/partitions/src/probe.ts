/**
 * What a partition (or a bare volume) holds, from its first sector.
 * Rules and references: ./codec/boot-sector.ts.
 */
import type { ByteSource } from '@coldfix/io';
import { classifyBootSector } from './codec/boot-sector.js';
import type { ContentKind } from './types.js';

/** Bytes read by the probe. */
export const PROBE_SIZE = 512;

/**
 * Reads the first 512 bytes of `source` and classifies them:
 * `-FVE-FS-` at 3 (Vista and 7+) or `MSWIN4.1` with a BitLocker identifier at
 * 0x1A8 (To Go) → 'bitlocker'; `NTFS    ` at 3 → 'ntfs'; a FAT12/16/32 boot
 * sector → 'fat'; otherwise (or when the source is shorter than 512 bytes)
 * 'unknown'. Throws only what `source.read` throws (I/O errors).
 */
export async function probeContent(source: ByteSource): Promise<ContentKind> {
  if (source.size < PROBE_SIZE) return 'unknown';
  return classifyBootSector(await source.read(0, PROBE_SIZE));
}
