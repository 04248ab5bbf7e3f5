/**
 * VHD checksum: the one's complement of the byte sum of the structure, the
 * checksum field itself counted as zero. Used by the footer and the dynamic
 * header (Microsoft VHD specification 1.0, "Checksum").
 */
export function computeVhdChecksum(bytes: Uint8Array, checksumOffset: number): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (i >= checksumOffset && i < checksumOffset + 4) continue;
    sum += bytes[i];
  }
  return ~sum >>> 0;
}

/** Writes the checksum of `bytes` into its checksum field (in place). */
export function storeVhdChecksum(bytes: Uint8Array, checksumOffset: number): void {
  const value = computeVhdChecksum(bytes, checksumOffset);
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(checksumOffset, value, false);
}
