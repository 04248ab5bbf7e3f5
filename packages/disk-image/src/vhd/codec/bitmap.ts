/**
 * VHD sector bitmaps: one bit per 512-byte sector of a block, most significant
 * bit first (bit 7 of byte 0 is sector 0), padded to a 512-byte boundary
 * (Microsoft VHD specification 1.0, "Block Format"; qemu block/vpc.c).
 *
 * A set bit means the sector's data is in this block; a clear bit means
 * "not here": zeros in a dynamic disk, the parent's data in a differencing disk.
 */

/** Bytes of bitmap in front of each block of `blockSize` data bytes. */
export function bitmapSizeFor(blockSize: number): number {
  const bytes = Math.ceil(blockSize / 512 / 8);
  return Math.ceil(bytes / 512) * 512;
}

export function isSectorSet(bitmap: Uint8Array, sector: number): boolean {
  return (bitmap[sector >> 3] & (0x80 >> (sector & 7))) !== 0;
}

/** True when sectors [first, first+count) all have their bits set. */
export function allSectorsSet(bitmap: Uint8Array, first: number, count: number): boolean {
  let s = first;
  const end = first + count;
  while (s < end) {
    if ((s & 7) === 0 && s + 8 <= end) {
      if (bitmap[s >> 3] !== 0xff) return false;
      s += 8;
      continue;
    }
    if (!isSectorSet(bitmap, s)) return false;
    s++;
  }
  return true;
}

/**
 * Splits sectors [first, first+count) into maximal runs of equal bit value.
 * Whole bytes of 0x00 or 0xff are skipped eight sectors at a time.
 */
export function bitmapRuns(bitmap: Uint8Array, first: number, count: number): Array<{ sector: number; count: number; set: boolean }> {
  const runs: Array<{ sector: number; count: number; set: boolean }> = [];
  const end = first + count;
  let s = first;
  while (s < end) {
    const set = isSectorSet(bitmap, s);
    const start = s;
    s++;
    while (s < end) {
      if ((s & 7) === 0 && s + 8 <= end) {
        const byte = bitmap[s >> 3];
        if (byte === (set ? 0xff : 0)) {
          s += 8;
          continue;
        }
      }
      if (isSectorSet(bitmap, s) !== set) break;
      s++;
    }
    runs.push({ sector: start, count: s - start, set });
  }
  return runs;
}
