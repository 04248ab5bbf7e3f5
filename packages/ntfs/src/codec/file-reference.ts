/**
 * File reference: 48-bit MFT record number + 16-bit sequence number
 * (libfsntfs "NTFS file reference"; ntfs-3g MREF/MSEQNO).
 */
export interface FileReference {
  recordNumber: number;
  sequence: number;
}

export function decodeFileReference(bytes: Uint8Array, at: number): FileReference {
  const recordNumber =
    bytes[at] + bytes[at + 1] * 0x100 + bytes[at + 2] * 0x10000 + bytes[at + 3] * 0x1000000 + bytes[at + 4] * 0x100000000 + bytes[at + 5] * 0x10000000000;
  const sequence = bytes[at + 6] | (bytes[at + 7] << 8);
  return { recordNumber, sequence };
}

export function encodeFileReference(ref: FileReference, target: Uint8Array, at: number): void {
  let n = ref.recordNumber;
  for (let i = 0; i < 6; i++) {
    target[at + i] = n % 256;
    n = Math.floor(n / 256);
  }
  target[at + 6] = ref.sequence & 0xff;
  target[at + 7] = ref.sequence >> 8;
}
