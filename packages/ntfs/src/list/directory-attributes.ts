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
 * copy is handed out once (take()). A scan worker exports its copies with each
 * chunk's answer; the listing's store adopts them.
 */

/** What DirectoryAttributeStore.export() gives. */
export interface DirectoryAttributeCopies {
  records: number[];
  lengths: number[];
  bytes: Uint8Array;
}

/** Most bytes of directory index attributes a listing keeps by default (a few hundred per directory). */
const DEFAULT_MAX_BYTES = 64 << 20;

/** Bytes per slab. */
const SLAB = 1 << 20;

export class DirectoryAttributeStore {
  private slab = new Uint8Array(0);
  private used = 0;
  private total = 0;
  private readonly copies = new Map<number, Uint8Array>();

  constructor(readonly maxBytes = DEFAULT_MAX_BYTES) {}

  /**
   * Keeps the attribute records of record `n` found in `b` at `rootAt`, `allocationAt` and `bitmapAt`
   * (a length of 0: none), one after the other. Past maxBytes nothing more is kept.
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
    // Byte loops: a few hundred bytes copy faster this way than through subarray views and set().
    let o = 0;
    for (let i = rootAt, end = rootAt + rootLength; i < end; i++) copy[o++] = b[i];
    for (let i = allocationAt, end = allocationAt + allocationLength; i < end; i++) copy[o++] = b[i];
    for (let i = bitmapAt, end = bitmapAt + bitmapLength; i < end; i++) copy[o++] = b[i];
    this.copies.set(n, copy);
  }

  /**
   * Every copy kept so far, moved out (a scan worker sends them with its chunk's answer): record
   * numbers, each copy's length, the copies one after the other.
   */
  export(): DirectoryAttributeCopies {
    const records: number[] = [];
    const lengths: number[] = [];
    let size = 0;
    for (const [n, copy] of this.copies) {
      records.push(n);
      lengths.push(copy.length);
      size += copy.length;
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const copy of this.copies.values()) {
      bytes.set(copy, at);
      at += copy.length;
    }
    // Everything was copied out: the slab is reused for the next chunk's copies (fresh memory is dear).
    this.copies.clear();
    this.used = 0;
    this.total = 0;
    return { records, lengths, bytes };
  }

  /**
   * Takes in copies export() gave, within maxBytes: views into `bytes` (no copy), so a copy dropped
   * past the cap still holds the chunk's buffer until the others are taken (at most one chunk more).
   */
  adopt(copies: DirectoryAttributeCopies): void {
    let at = 0;
    for (let i = 0; i < copies.records.length; i++) {
      const length = copies.lengths[i];
      if (this.total + length <= this.maxBytes) {
        this.copies.set(copies.records[i], copies.bytes.subarray(at, at + length));
        this.total += length;
      }
      at += length;
    }
  }

  /** The copy of record `n`'s attribute records (once), or undefined. */
  take(n: number): Uint8Array | undefined {
    const copy = this.copies.get(n);
    if (copy) this.copies.delete(n);
    return copy;
  }
}
