/**
 * A write transaction over a RecordStore: working copies of MFT records, INDX
 * blocks and bitmap bytes, all edited in memory first; `commit` then writes
 * each changed structure once (records with fixups re-applied and a new USN,
 * mirrored records into $MFTMirr too), in an order that keeps an interrupted
 * write no worse than a lost update: index entries first, then records, then
 * bitmaps. Undo of a torn write is the job of the journaled source beneath.
 */
import { CorruptError, isWritable, PreconditionError, type ByteSource, type WritableByteSource } from '@coldfix/io';
import { applyFixups, FIXUP_STRIDE } from '../codec/block-fixup.js';
import type { Run } from '../codec/runlist.js';
import type { Extent, RecordStore } from '../record/record-store.js';

export interface Change { what: string; offset: number; length: number }

/** Bits of a bitmap stream (non-resident) edited byte by byte, read in 4 KiB chunks on demand. */
export class BitmapEditor {
  private chunks = new Map<number, { bytes: Uint8Array; original: Uint8Array }>();
  constructor(readonly what: string, private readonly vol: RecordStore, readonly runs: Run[], readonly size: number) {}

  private async chunk(index: number): Promise<Uint8Array> {
    let c = this.chunks.get(index);
    if (!c) {
      const start = index * 4096;
      const length = Math.min(4096, this.size - start);
      if (length <= 0) throw new CorruptError(`${this.what}: bit beyond its ${this.size}-byte stream`, { code: 'NTFS_BITMAP_SHORT', layer: 'ntfs-write', details: { what: this.what, index } });
      const bytes = await this.vol.readStream(this.runs, start, length);
      c = { bytes, original: bytes.slice() };
      this.chunks.set(index, c);
    }
    return c.bytes;
  }

  async get(bit: number): Promise<boolean> {
    const c = await this.chunk(Math.floor(bit / 32768));
    return ((c[(bit >> 3) & 4095] >> (bit & 7)) & 1) === 1;
  }

  /** Clears `count` bits from `start`; returns how many were set before. */
  async clear(start: number, count: number): Promise<number> {
    let wasSet = 0;
    for (let bit = start; bit < start + count; ) {
      const c = await this.chunk(Math.floor(bit / 32768));
      const byte = (bit >> 3) & 4095;
      if ((bit & 7) === 0 && bit + 8 <= start + count) {
        wasSet += popcount(c[byte]);
        c[byte] = 0;
        bit += 8;
      } else {
        const mask = 1 << (bit & 7);
        if (c[byte] & mask) wasSet++;
        c[byte] &= ~mask;
        bit++;
      }
    }
    return wasSet;
  }

  /** Device writes for the changed byte ranges. */
  writes(): { what: string; device: number; data: Uint8Array }[] {
    const out: { what: string; device: number; data: Uint8Array }[] = [];
    for (const [index, c] of [...this.chunks].sort((a, b) => a[0] - b[0])) {
      let first = -1;
      let last = -1;
      for (let i = 0; i < c.bytes.length; i++) if (c.bytes[i] !== c.original[i]) { if (first < 0) first = i; last = i; }
      if (first < 0) continue;
      let at = index * 4096 + first;
      let data = c.bytes.subarray(first, last + 1);
      for (const p of this.vol.streamPieces(this.runs, at, data.length)) {
        out.push({ what: this.what, device: p.device, data: data.subarray(0, p.length) });
        data = data.subarray(p.length);
        at += p.length;
      }
    }
    return out;
  }
}

function popcount(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

export class WriteTxn {
  private records = new Map<number, Uint8Array>();
  readonly dirtyRecords = new Set<number>();
  /** Index blocks: key `${dir}:${vcn}` → bytes (fixups removed) and device pieces. */
  readonly blocks = new Map<string, { what: string; bytes: Uint8Array; pieces: { device: number; length: number }[] }>();
  readonly dirtyBlocks = new Set<string>();
  readonly bitmaps: BitmapEditor[] = [];
  private readonly bitmapsByKey = new Map<string, BitmapEditor>();

  /** One editor per bitmap stream in a transaction, so that edits made through two openings add up. */
  bitmap(key: string, create: () => BitmapEditor): BitmapEditor {
    let b = this.bitmapsByKey.get(key);
    if (!b) {
      b = create();
      this.bitmapsByKey.set(key, b);
      this.bitmaps.push(b);
    }
    return b;
  }
  readonly changes: Change[] = [];
  /** Plain data writes (e.g. a $UsnJrnl record), done after the index and before the records. */
  readonly extraWrites: { what: string; device: number; data: Uint8Array }[] = [];

  constructor(readonly vol: RecordStore) {}

  /** The working copy of record `n` (fixups removed). */
  async record(n: number): Promise<Uint8Array> {
    let r = this.records.get(n);
    if (!r) {
      r = await this.vol.readRecord(n);
      this.records.set(n, r);
    }
    return r;
  }

  /**
   * Every attribute extent of file `base` (RecordStore.extents) read from the working copies: a plan
   * that edits a record (e.g. $UsnJrnl's data size) and reads it again sees its own edit.
   */
  async extents(base: number): Promise<Extent[]> {
    return this.vol.extents(base, await this.record(base), (n) => this.record(n), this.attributeLists.get(base));
  }

  /** Working copies of non-resident $ATTRIBUTE_LIST values rewritten in this transaction, by base record. */
  readonly attributeLists = new Map<number, Uint8Array>();

  /** A working copy already loaded by `record(n)`. */
  loadedRecord(n: number): Uint8Array {
    const r = this.records.get(n);
    if (!r) throw new CorruptError(`MFT record ${n} was not loaded`, { code: 'NTFS_TXN_STATE', layer: 'ntfs-write' });
    return r;
  }

  touchRecord(n: number): void {
    this.dirtyRecords.add(n);
  }

  /** Writes every change to `target` (unless `dryRun`), then flushes. Returns the list of changes. */
  async commit(target: ByteSource, dryRun: boolean): Promise<Change[]> {
    const writes: { what: string; device: number; data: Uint8Array }[] = [];
    for (const key of this.dirtyBlocks) {
      const b = this.blocks.get(key)!;
      const bytes = b.bytes.slice();
      applyFixups(bytes, FIXUP_STRIDE);
      let at = 0;
      for (const p of b.pieces) {
        writes.push({ what: b.what, device: p.device, data: bytes.subarray(at, at + p.length) });
        at += p.length;
      }
    }
    writes.push(...this.extraWrites);
    for (const n of [...this.dirtyRecords].sort((a, b) => a - b)) {
      const bytes = this.records.get(n)!.slice();
      applyFixups(bytes, FIXUP_STRIDE);
      let at = 0;
      for (const p of this.vol.recordPieces(n)) {
        writes.push({ what: `MFT record ${n}`, device: p.device, data: bytes.subarray(at, at + p.length) });
        at += p.length;
      }
      const mirror = this.vol.mirrorPieces(n);
      if (mirror) {
        at = 0;
        for (const p of mirror) {
          writes.push({ what: `$MFTMirr record ${n}`, device: p.device, data: bytes.subarray(at, at + p.length) });
          at += p.length;
        }
      }
    }
    for (const bm of this.bitmaps) writes.push(...bm.writes());
    for (const w of writes) this.changes.push({ what: w.what, offset: w.device, length: w.data.length });
    if (!dryRun) {
      if (!isWritable(target)) {
        throw new PreconditionError('the volume was opened read-only; open it over a writable (journaled) source to delete', { code: 'NTFS_NOT_WRITABLE', layer: 'ntfs-write' });
      }
      const w = target as WritableByteSource;
      for (const x of writes) await w.write(x.device, x.data);
      await w.flush();
    }
    return this.changes;
  }
}
