/**
 * VHDX sector bitmaps: one bit per logical sector, bit 0 of byte 0 first
 * (least significant bit first, unlike VHD's most significant first); 1 = the
 * sector is in this file, 0 = read it from the parent.
 * Reference: MS-VHDX §2.4 "Blocks".
 */
export interface BitRun {
  sector: number;
  count: number;
  set: boolean;
}

/** Runs of equal bits over sectors [first, first + count) of `bitmap`. */
export function sectorBitmapRuns(bitmap: Uint8Array, first: number, count: number): BitRun[] {
  const runs: BitRun[] = [];
  const end = first + count;
  let s = first;
  while (s < end) {
    const set = ((bitmap[s >> 3] >> (s & 7)) & 1) === 1;
    let e = s + 1;
    while (e < end) {
      // Whole bytes at once when aligned.
      if ((e & 7) === 0 && e + 8 <= end && bitmap[e >> 3] === (set ? 0xff : 0)) {
        e += 8;
        continue;
      }
      if ((((bitmap[e >> 3] >> (e & 7)) & 1) === 1) !== set) break;
      e++;
    }
    runs.push({ sector: s, count: e - s, set });
    s = e;
  }
  return runs;
}

/** Sets bits [first, first + count) (writers). */
export function setSectorBits(bitmap: Uint8Array, first: number, count: number): void {
  for (let s = first; s < first + count; s++) bitmap[s >> 3] |= 1 << (s & 7);
}
