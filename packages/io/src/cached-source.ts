/**
 * A bounded LRU cache of aligned blocks over a slower source.
 *
 * Reads are split into cache blocks; consecutive missing blocks are fetched in
 * one read, so a large sequential read costs one call below. Memory is capped
 * at `maxBytes`. Writes go through and refresh the cached copy.
 */
import { checkRange, isWritable, readInto, type ByteSource, type SourceInfo, type WritableByteSource } from './byte-source.js';
import { UnsupportedError } from './errors.js';

export interface CacheOptions {
  /** Cache block size in bytes (a multiple of the parent's block size). */
  cacheBlockSize?: number;
  /** Upper bound of cached bytes. */
  maxBytes?: number;
}

export class CachedSource implements WritableByteSource {
  readonly writable = true as const;
  readonly size: number;
  readonly blockSize: number;
  readonly cacheBlockSize: number;
  private readonly maxBlocks: number;
  private readonly blocks = new Map<number, Uint8Array>();
  /** Blocks being read now: a concurrent reader of the same block waits for that read instead of issuing its own. */
  private readonly inflight = new Map<number, Promise<Uint8Array>>();
  /** Bumped by every write: a read that started before a write does not cache what it got. */
  private generation = 0;
  hits = 0;
  misses = 0;

  constructor(
    readonly parent: ByteSource,
    options: CacheOptions = {},
  ) {
    this.size = parent.size;
    this.blockSize = parent.blockSize;
    this.cacheBlockSize = options.cacheBlockSize ?? 64 * 1024;
    this.maxBlocks = Math.max(1, Math.floor((options.maxBytes ?? 16 << 20) / this.cacheBlockSize));
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, 'cache');
    const bs = this.cacheBlockSize;
    const first = Math.floor(offset / bs);
    // The common case, a small read inside one cached block: one copy, no zero-filled buffer.
    if (length > 0 && Math.floor((offset + length - 1) / bs) === first) {
      const cached = this.blocks.get(first);
      if (cached && offset + length <= first * bs + cached.length) {
        this.hits++;
        this.touch(first, cached);
        const from = offset - first * bs;
        return cached.slice(from, from + length);
      }
    }
    const out = new Uint8Array(length);
    await this.fill(offset, out);
    return out;
  }

  /** Reads `target.length` bytes at `offset` into `target` (ByteSource.readInto). */
  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(offset, target.length, this.size, 'cache');
    await this.fill(offset, target);
  }

  private async fill(offset: number, out: Uint8Array): Promise<void> {
    const length = out.length;
    if (length === 0) return;
    const bs = this.cacheBlockSize;
    const first = Math.floor(offset / bs);
    const last = Math.floor((offset + length - 1) / bs);
    // Large reads bypass the cache so they do not evict the hot small blocks.
    if (last - first + 1 > this.maxBlocks / 2) return readInto(this.parent, offset, out);
    let block = first;
    while (block <= last) {
      const cached = this.blocks.get(block);
      if (cached) {
        this.hits++;
        this.touch(block, cached);
        this.copyOut(out, offset, block, cached);
        block++;
        continue;
      }
      const pending = this.inflight.get(block);
      if (pending) {
        this.hits++;
        this.copyOut(out, offset, block, await pending);
        block++;
        continue;
      }
      let runEnd = block;
      while (runEnd + 1 <= last && !this.blocks.has(runEnd + 1) && !this.inflight.has(runEnd + 1)) runEnd++;
      const runStart = block * bs;
      const runLength = Math.min((runEnd + 1) * bs, this.size) - runStart;
      const generation = this.generation;
      const read = this.parent.read(runStart, runLength);
      const views: Promise<Uint8Array>[] = [];
      for (let b = block; b <= runEnd; b++) {
        const start = (b - block) * bs;
        const view = read.then((bytes) => bytes.subarray(start, Math.min(start + bs, bytes.length)));
        view.catch(() => undefined); // a waiter sees the failure; nobody waiting is not an unhandled rejection
        this.inflight.set(b, view);
        views.push(view);
      }
      let bytes: Uint8Array;
      try {
        bytes = await read;
      } finally {
        // Only this read's entries: a write may have dropped one, and a later read put its own there.
        for (let b = block; b <= runEnd; b++) if (this.inflight.get(b) === views[b - block]) this.inflight.delete(b);
      }
      // A one-block run is kept as read (the buffer is exactly the block); blocks of a longer run are
      // copied out so that one surviving block does not pin the whole run's buffer.
      const whole = block === runEnd && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      const cache = generation === this.generation;
      for (let b = block; b <= runEnd; b++) {
        this.misses++;
        const start = (b - block) * bs;
        const data = bytes.subarray(start, Math.min(start + bs, bytes.length));
        if (cache) this.insert(b, whole ? data : data.slice());
        this.copyOut(out, offset, b, data);
      }
      block = runEnd + 1;
    }
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    if (!isWritable(this.parent)) {
      throw new UnsupportedError('cache: parent source is read-only', { code: 'READ_ONLY', layer: 'io' });
    }
    checkRange(offset, data.length, this.size, 'cache');
    this.generation++;
    await this.parent.write(offset, data);
    // Again once written: a read that started while the write was under way may hold the old bytes.
    this.generation++;
    const bs = this.cacheBlockSize;
    for (let b = Math.floor(offset / bs); b * bs < offset + data.length; b++) {
      // A read still in flight may hold the old bytes: later readers of this block read it afresh.
      this.inflight.delete(b);
      const cached = this.blocks.get(b);
      if (!cached) continue;
      const blockStart = b * bs;
      const from = Math.max(offset, blockStart);
      const to = Math.min(offset + data.length, blockStart + cached.length);
      cached.set(data.subarray(from - offset, to - offset), from - blockStart);
    }
  }

  async flush(): Promise<void> {
    if (isWritable(this.parent)) await this.parent.flush();
  }

  /** Drops every cached block (after a lower layer changed underneath). */
  invalidate(): void {
    this.blocks.clear();
  }

  async close(): Promise<void> {
    this.blocks.clear();
    await this.parent.close();
  }

  describe(): SourceInfo {
    return this.parent.describe();
  }

  private copyOut(out: Uint8Array, offset: number, block: number, data: Uint8Array): void {
    const blockStart = block * this.cacheBlockSize;
    const from = Math.max(offset, blockStart);
    const to = Math.min(offset + out.length, blockStart + data.length);
    if (to > from) out.set(data.subarray(from - blockStart, to - blockStart), from - offset);
  }

  private touch(block: number, data: Uint8Array): void {
    this.blocks.delete(block);
    this.blocks.set(block, data);
  }

  /** Caches `data` as `block`; the caller hands over a buffer nobody else holds. */
  private insert(block: number, data: Uint8Array): void {
    this.blocks.set(block, data);
    while (this.blocks.size > this.maxBlocks) {
      const oldest = this.blocks.keys().next().value as number;
      this.blocks.delete(oldest);
    }
  }
}
