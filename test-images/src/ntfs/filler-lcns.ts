/**
 * Generator-side helper for the fragmentation recipe: the first cluster (LCN) of each file whose name
 * matches a pattern, read from a raw `$MFT` copy (`icat VOLUME 0`). It only decides which fillers to
 * free so that the holes alternate physically; the result is verified with istat afterwards.
 * Layout: NTFS FILE record header, update sequence array, attribute headers, mapping pairs
 * (libfsntfs "NTFS" format documentation, sections on MFT entries and data runs).
 */

/** Map of file name to the LCN of its first data run, for in-use records whose name matches. */
export function firstLcnByName(mft: Uint8Array, pattern: RegExp, recordSize = 1024): Map<string, number> {
  const out = new Map<string, number>();
  const view = new DataView(mft.buffer, mft.byteOffset, mft.byteLength);
  for (let base = 0; base + recordSize <= mft.length; base += recordSize) {
    if (view.getUint32(base, true) !== 0x454c4946) continue; // 'FILE'
    if ((view.getUint16(base + 0x16, true) & 1) === 0) continue; // not in use
    const rec = Buffer.from(mft.subarray(base, base + recordSize));
    const usaOffset = rec.readUInt16LE(4);
    const usaCount = rec.readUInt16LE(6);
    if (usaOffset + 2 * usaCount > recordSize || usaCount < 1) continue;
    for (let i = 1; i < usaCount && i * 512 <= recordSize; i++) rec.writeUInt16LE(rec.readUInt16LE(usaOffset + 2 * i), i * 512 - 2);
    let name: string | undefined;
    let lcn: number | undefined;
    let off = rec.readUInt16LE(0x14);
    for (let guard = 0; guard < 64 && off + 16 <= recordSize; guard++) {
      const type = rec.readUInt32LE(off);
      if (type === 0xffffffff) break;
      const len = rec.readUInt32LE(off + 4);
      if (len < 16 || off + len > recordSize) break;
      const nonResident = rec[off + 8] === 1;
      if (type === 0x30 && !nonResident) {
        const v = off + rec.readUInt16LE(off + 0x14);
        const n = rec[v + 0x40]!;
        if (rec[v + 0x41] !== 2) name = rec.toString('utf16le', v + 0x42, v + 0x42 + 2 * n); // skip DOS names
      } else if (type === 0x80 && nonResident && rec[off + 9] === 0) {
        const p = off + rec.readUInt16LE(off + 0x20);
        const h = rec[p]!;
        const lenBytes = h & 0xf;
        const offBytes = h >> 4;
        if (offBytes > 0 && offBytes <= 6) lcn = rec.readIntLE(p + 1 + lenBytes, offBytes);
      }
      off += len;
    }
    if (name !== undefined && lcn !== undefined && pattern.test(name)) out.set(name, lcn);
  }
  return out;
}
