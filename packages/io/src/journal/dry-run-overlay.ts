/**
 * DryRunOverlay: a writable, resizable source that keeps every write in memory
 * over a read-only base, for `--dry-run`: run the whole repair, verify on the
 * overlay, then discard. The base is never written. Memory is bounded: writes
 * past `maxBytes` of changed pages throw LimitExceededError.
 *
 * Pages (4 KiB by default) are copy-on-write: the first write to a page copies
 * it from the base, later reads of that page come from memory.
 */
import { checkRange, type ByteSource, type ResizableByteSource, type SourceInfo } from '../byte-source.js';
import { LimitExceededError, OutOfRangeError } from '../errors.js';

export interface DryRunOverlayOptions {
  /** Upper bound of bytes held in memory (changed pages). Default 256 MiB. */
  maxBytes?: number;
  /** Copy-on-write page size in bytes. Default 4096. */
  pageSize?: number;
}

export class DryRunOverlay implements ResizableByteSource {
  readonly writable = true as const;
  readonly blockSize: number;
  readonly pageSize: number;
  readonly maxBytes: number;
  readonly stats = { bytesRead: 0, reads: 0, bytesWritten: 0, writes: 0 };
  private readonly pages = new Map<number, Uint8Array>();
  private currentSize: number;
  /** Bytes of the base visible through the overlay; shrinking lowers it for good (a regrow reads zeros). */
  private baseVisible: number;

  constructor(
    readonly base: ByteSource,
    options: DryRunOverlayOptions = {},
  ) {
    this.blockSize = base.blockSize;
    this.pageSize = options.pageSize ?? 4096;
    this.maxBytes = options.maxBytes ?? 256 << 20;
    this.currentSize = base.size;
    this.baseVisible = base.size;
  }

  get size(): number {
    return this.currentSize;
  }

  /** Bytes held in memory for changed pages. */
  get memoryBytes(): number {
    return this.pages.size * this.pageSize;
  }

  /** Sorted page-aligned [offset, length) ranges that differ (or may differ) from the base. */
  changedRanges(): [number, number][] {
    const out: [number, number][] = [];
    for (const page of [...this.pages.keys()].sort((a, b) => a - b)) {
      const start = page * this.pageSize;
      const last = out[out.length - 1];
      if (last && last[0] + last[1] === start) last[1] += this.pageSize;
      else out.push([start, this.pageSize]);
    }
    return out;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.currentSize, 'dry-run');
    const out = new Uint8Array(length);
    const ps = this.pageSize;
    let at = offset;
    while (at < offset + length) {
      const page = Math.floor(at / ps);
      const pageEnd = Math.min((page + 1) * ps, offset + length);
      const mem = this.pages.get(page);
      if (mem) {
        out.set(mem.subarray(at - page * ps, pageEnd - page * ps), at - offset);
        at = pageEnd;
        continue;
      }
      // A run of untouched pages is read from the base in one call.
      let runEnd = pageEnd;
      while (runEnd < offset + length && !this.pages.has(Math.floor(runEnd / ps))) runEnd = Math.min(runEnd + ps - (runEnd % ps), offset + length);
      await this.readBase(out, at - offset, at, runEnd);
      at = runEnd;
    }
    this.stats.bytesRead += length;
    this.stats.reads++;
    return out;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    checkRange(offset, data.length, this.currentSize, 'dry-run');
    const ps = this.pageSize;
    let at = offset;
    while (at < offset + data.length) {
      const page = Math.floor(at / ps);
      const pageEnd = Math.min((page + 1) * ps, offset + data.length);
      const mem = await this.pageFor(page);
      mem.set(data.subarray(at - offset, pageEnd - offset), at - page * ps);
      at = pageEnd;
    }
    this.stats.bytesWritten += data.length;
    this.stats.writes++;
  }

  async resize(newSize: number): Promise<void> {
    if (!Number.isSafeInteger(newSize) || newSize < 0) {
      throw new OutOfRangeError(`dry-run: cannot resize to ${newSize} bytes`, { code: 'OUT_OF_RANGE', layer: 'dry-run', details: { newSize } });
    }
    if (newSize < this.currentSize) {
      // Forget what lies past the new end, so a later regrow reads zeros, as a truncated file does.
      const ps = this.pageSize;
      for (const [page, mem] of this.pages) {
        if (page * ps >= newSize) this.pages.delete(page);
        else if ((page + 1) * ps > newSize) mem.fill(0, newSize - page * ps);
      }
      this.baseVisible = Math.min(this.baseVisible, newSize);
    }
    this.currentSize = newSize;
  }

  async flush(): Promise<void> {}

  /** Drops the changes; the base is left open (it belongs to the caller). */
  async close(): Promise<void> {
    this.pages.clear();
  }

  describe(): SourceInfo {
    return { kind: 'dry-run', details: { changedBytes: this.memoryBytes, size: this.currentSize }, parent: this.base.describe() };
  }

  private async pageFor(page: number): Promise<Uint8Array> {
    const existing = this.pages.get(page);
    if (existing) return existing;
    if (this.memoryBytes + this.pageSize > this.maxBytes) {
      throw new LimitExceededError(`dry-run: changes exceed the ${this.maxBytes}-byte in-memory overlay limit`, {
        code: 'DRY_RUN_LIMIT',
        layer: 'dry-run',
        offset: page * this.pageSize,
        details: { maxBytes: this.maxBytes },
      });
    }
    const mem = new Uint8Array(this.pageSize);
    const start = page * this.pageSize;
    await this.readBase(mem, 0, start, Math.min(start + this.pageSize, this.currentSize));
    this.pages.set(page, mem);
    return mem;
  }

  /** Copies base bytes [from, to) into out at `at`; bytes past the visible base stay zero. */
  private async readBase(out: Uint8Array, at: number, from: number, to: number): Promise<void> {
    const end = Math.min(to, this.baseVisible);
    if (end > from) out.set(await this.base.read(from, end - from), at);
  }
}
