/**
 * The $I30 index attributes ($INDEX_ROOT, $INDEX_ALLOCATION, $BITMAP records,
 * fixed up) of in-use directories, copied by the listing's $MFT scan so that
 * loading a directory's index neither reads nor decodes its record again: on
 * a Windows-like volume (29,000 directories) that was one 1 KiB read, one
 * fresh buffer and one decoded record per directory. Only records the scan's
 * fast decoder accepted are kept (no attribute list, no anomaly: what
 * decodeRecord would give, minus the attributes a listing does not need).
 *
 * Memory: copies go into 1 MiB slabs up to `maxBytes` (a few hundred bytes
 * per directory); past that the listing reads the records as before. Each
 * copy is handed out once (take()).
 */
import { decodeAttribute } from '../codec/decode-record.js';
import { joinExtents, type JoinedAttribute } from '../record-view.js';

/** Bytes per slab. */
const SLAB = 1 << 20;

export class DirectoryAttributeStore {
  private slab = new Uint8Array(0);
  private used = 0;
  private total = 0;
  private readonly copies = new Map<number, Uint8Array>();

  constructor(readonly maxBytes: number) {}

  /**
   * Keeps the attribute records of record `n` at `b[starts[i], starts[i] + lengths[i])` (unused
   * slots have length 0), one after the other.
   */
  keep(n: number, b: Uint8Array, rootAt: number, rootLength: number, allocationAt: number, allocationLength: number, bitmapAt: number, bitmapLength: number): void {
    const size = rootLength + allocationLength + bitmapLength;
    if (size > SLAB || this.total + size > this.maxBytes) return;
    if (this.used + size > this.slab.length) {
      this.slab = new Uint8Array(SLAB);
      this.used = 0;
    }
    const copy = this.slab.subarray(this.used, this.used + size);
    this.used += size;
    this.total += size;
    // Byte loops: a few hundred bytes copy faster so than through two subarray views and set().
    let o = 0;
    for (let i = rootAt, end = rootAt + rootLength; i < end; i++) copy[o++] = b[i];
    for (let i = allocationAt, end = allocationAt + allocationLength; i < end; i++) copy[o++] = b[i];
    for (let i = bitmapAt, end = bitmapAt + bitmapLength; i < end; i++) copy[o++] = b[i];
    this.copies.set(n, copy);
  }

  /**
   * The kept attributes of record `n` (once) as DirectoryIndex.fromAttributes wants them, by type;
   * null when none were kept. Throws what decodeAttribute throws (the caller then reads the record).
   */
  take(n: number): ((type: number) => JoinedAttribute | null) | null {
    const copy = this.copies.get(n);
    if (!copy) return null;
    this.copies.delete(n);
    const byType = new Map<number, JoinedAttribute>();
    for (let at = 0; at + 8 <= copy.length; ) {
      const length = copy[at + 4] | (copy[at + 5] << 8) | (copy[at + 6] << 16) | (copy[at + 7] << 24);
      const attribute = decodeAttribute(copy.subarray(at, at + length), n, at);
      byType.set(attribute.type, joinExtents([attribute]));
      at += length;
    }
    return (type) => byType.get(type) ?? null;
  }
}
