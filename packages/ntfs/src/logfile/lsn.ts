/**
 * LSN <-> byte offset in $LogFile. An LSN keeps the byte offset divided by 8 in
 * its low (64 - seqNumberBits) bits and the wrap count ("sequence number") in
 * the high bits (libfsntfs $LogFile document; ntfs3 fslog.c lsn_to_vbo):
 *
 *   63            64-seqNumberBits                  0
 *   | sequence number |      file offset >> 3        |
 */
export interface LsnGeometry { seqNumberBits: number }

const MASK64 = (1n << 64n) - 1n;

/** Byte offset in the log file of `lsn`. */
export function lsnToOffset(lsn: bigint, g: LsnGeometry): number {
  const fileBits = BigInt(64 - g.seqNumberBits);
  return Number((lsn & ((1n << fileBits) - 1n)) << 3n);
}

/** Wrap count of `lsn`. */
export function lsnToSequence(lsn: bigint, g: LsnGeometry): bigint {
  return lsn >> BigInt(64 - g.seqNumberBits);
}

/** The LSN of byte offset `offset` (a multiple of 8) in wrap `sequence`. */
export function offsetToLsn(offset: number, sequence: bigint, g: LsnGeometry): bigint {
  return ((BigInt(offset) >> 3n) | (sequence << BigInt(64 - g.seqNumberBits))) & MASK64;
}

/** seqNumberBits as derived from the usable log size (ntfs3 is_rst_area_valid): 67 - bit length of the size. */
export function expectedSeqNumberBits(fileSize: bigint): number {
  let bits = 67;
  for (let s = fileSize; s > 0n; s >>= 1n) bits--;
  return bits;
}
