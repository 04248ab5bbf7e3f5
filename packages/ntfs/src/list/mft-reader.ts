/**
 * Sequential $MFT reads for scans into caller-owned buffers: each chunk is
 * mapped through the $MFT runlist to volume extents, read with readIntoSync
 * (a regular file: a blocking pread) or readInto straight into the buffer
 * (no allocation, no copy), below any block cache
 * (io CachedSource and RangeSource are pass-through layers: a scan would only
 * copy through and evict the cache). Chunks touching anything unusual (sparse
 * or unmapped runs, bytes past the initialized size or the volume) are read
 * through Mft.readRange, which zero-fills and throws as every other read does.
 */
import { CachedSource, checkRange, RangeSource, readInto, type ByteSource, type SourceInfo } from '@coldfix/io';
import type { Mft } from '../mft.js';
import { findRun } from '../codec/runlist.js';

/**
 * The bytes of `source` read below pass-through caches and windows: the
 * innermost source and the offset of `source`'s byte 0 in it.
 */
export function unwrapSource(source: ByteSource): { base: ByteSource; offset: number } {
  let offset = 0;
  for (;;) {
    if (source instanceof CachedSource) source = source.parent;
    else if (source instanceof RangeSource) {
      offset += source.start;
      source = source.parent;
    } else return { base: source, offset };
  }
}

/**
 * `source` without its pass-through caches (same bytes, same size), for reads made once, in bulk:
 * when the source below has readInto, read() fills a buffer that is not zeroed first (a plain
 * read() allocates a zero-filled one: ~55 MB of INDX blocks zeroed for nothing on ntfs-large).
 */
export function uncachedSource(source: ByteSource): ByteSource {
  const { base, offset } = unwrapSource(source);
  if (base.readInto) return new BulkReadSource(base, offset, source.size);
  return base === source ? source : new RangeSource(base, offset, source.size, 'uncached');
}

/**
 * Fills `target` from `base`: on this thread when the base is a regular file (readIntoSync: the
 * bulk reads of a listing are made once, in order; the thread pool's hand-off per read cost more
 * than it overlapped: list() of ntfs-large ~450 -> ~390 ms, of ntfs-bigdir ~430 -> ~315 ms),
 * else through readInto.
 */
function fill(base: ByteSource, offset: number, target: Uint8Array): Promise<void> {
  if (!base.readIntoSync) return readInto(base, offset, target);
  try {
    base.readIntoSync(offset, target);
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/**
 * Largest reused buffer (BulkReadSource.recycle): a directory whose index is read block by block
 * (over 4 MiB) would otherwise grow it to the whole index and keep it so; past this, reads get
 * buffers of their own, which the GC frees.
 */
const ARENA_MAX = 8 << 20;

/** Reads at or above this size get an uninitialised buffer of their own (Buffer.allocUnsafe's pool is below it). */
const UNZEROED_MIN = 4096;

export class BulkReadSource implements ByteSource {
  readonly blockSize: number;
  /** Reads are made on this thread (the base offers readIntoSync). */
  readonly synchronous: boolean;
  /** recycle() was called: read() hands out views into `arena`, valid until the next recycle(). */
  private recycling = false;
  private arena = new Uint8Array(0);
  private used = 0;

  constructor(private readonly base: ByteSource, private readonly start: number, readonly size: number) {
    this.blockSize = base.blockSize;
    this.synchronous = typeof base.readIntoSync === 'function';
  }

  /**
   * From now on read() returns views into one reused buffer, and every view handed out so far may
   * be overwritten: for a caller that reads, uses and drops its buffers one job at a time (a listing
   * loading one directory index after another). Fresh memory is dear here (a page fault per 4 KiB:
   * ~23,000 fresh INDX buffers on a Windows-like volume cost more than reading them).
   */
  recycle(): void {
    this.recycling = true;
    this.used = 0;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, 'uncached');
    let out: Uint8Array;
    if (this.recycling && this.used + length > this.arena.length && this.arena.length < ARENA_MAX && length <= ARENA_MAX) {
      // A bigger arena; the old one stays with the views into it, the next recycle() starts on the new one.
      this.arena = new Uint8Array(Buffer.allocUnsafe(Math.min(ARENA_MAX, Math.max(2 * this.arena.length, length, 1 << 20))).buffer);
      this.used = 0;
    }
    if (this.recycling && this.used + length <= this.arena.length) {
      out = this.arena.subarray(this.used, this.used + length);
      this.used += length;
    } else {
      // A plain Uint8Array over an ArrayBuffer of its own (not a Buffer: Buffer.slice would not copy).
      out = length >= UNZEROED_MIN ? new Uint8Array(Buffer.allocUnsafe(length).buffer, 0, length) : new Uint8Array(length);
    }
    await this.readInto(offset, out);
    return out;
  }

  readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(offset, target.length, this.size, 'uncached');
    return fill(this.base, this.start + offset, target);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  describe(): SourceInfo {
    return { kind: 'range', identity: 'uncached', details: { start: this.start, size: this.size }, parent: this.base.describe() };
  }
}

export class MftScanReader {
  private readonly base: ByteSource;
  private readonly baseOffset: number;

  private readonly initializedSize: number;

  constructor(private readonly mft: Mft) {
    this.initializedSize = mft.stream.geometry.initializedSize;
    const { base, offset } = unwrapSource(mft.volume);
    this.base = base;
    this.baseOffset = offset;
  }

  /**
   * Where records [first, first + count) lie below the caches: [offset in the base source, offset
   * in the chunk, length] per extent; null when a chunk touches anything unusual (sparse or
   * unmapped runs, bytes past the initialized size or the volume).
   */
  plan(first: number, count: number): Array<[number, number, number]> | null {
    const { recordSize, clusterSize, runs } = this.mft;
    const from = first * recordSize;
    const to = from + count * recordSize;
    if (to > this.initializedSize) return null;
    const volumeSize = this.mft.volume.size;
    const plan: Array<[number, number, number]> = [];
    let position = from;
    while (position < to) {
      const index = findRun(runs, Math.floor(position / clusterSize));
      const run = index >= 0 ? runs[index] : undefined;
      if (!run || run.lcn === null) return null;
      const end = Math.min(to, (run.vcn + run.length) * clusterSize);
      const volumeOffset = run.lcn * clusterSize + (position - run.vcn * clusterSize);
      if (volumeOffset + (end - position) > volumeSize) return null;
      plan.push([this.baseOffset + volumeOffset, position - from, end - position]);
      position = end;
    }
    return plan;
  }

  /**
   * Records [first, first + count) as bytes: in `into` (count records long), or, when the source
   * below has no readInto and one extent holds the chunk, in the buffer that source returns (no copy).
   */
  async read(first: number, count: number, into: Uint8Array): Promise<Uint8Array> {
    const plan = this.plan(first, count);
    if (!plan) {
      into.set(await this.mft.readRange(first, count));
      return into;
    }
    if (!this.base.readInto && plan.length === 1) return this.base.read(plan[0][0], plan[0][2]);
    await Promise.all(plan.map(([offset, at, length]) => fill(this.base, offset, into.subarray(at, at + length))));
    return into;
  }

  /** The file holding the base source byte for byte (a plain file or a raw image), or null. */
  filePath(): string | null {
    const info = this.base.describe();
    const plain = info.kind === 'file' || (info.kind === 'raw' && info.parent?.kind === 'file' && info.parent.identity === info.identity);
    return plain && info.identity ? info.identity : null;
  }
}
