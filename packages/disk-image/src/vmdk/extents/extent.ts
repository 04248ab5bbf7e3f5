/**
 * One extent of a VMDK: a stretch of the virtual disk kept in one file (or
 * nowhere, for ZERO). Grain-based extents (hosted sparse, COWD, seSparse)
 * share the grain walk below; each only says where grain N lives.
 *
 *   virtual offset ──▶ grain index ──▶ GD[index / gtEntries] ──▶ GT[index % gtEntries]
 *                                        (cached, bounded)          ──▶ data | zero | parent | compressed
 */
import { readInto, type ByteSource, type JsonValue } from '@coldfix/io';
import { hex, VMDK_LIMITS, vmdkCorrupt } from '../vmdk-errors.js';

/** Reads the bytes below this extent (the parent's, or zeros) at an offset relative to the extent. */
export type Fallback = (offset: number, target: Uint8Array) => Promise<void>;

export interface Extent {
  /** Extent type as in the descriptor (FLAT, SPARSE, ZERO, VMFSSPARSE, SESPARSE, …). */
  readonly kind: string;
  /** Virtual bytes covered. */
  readonly size: number;
  readonly path?: string;
  readonly file?: ByteSource;
  readonly anomalies: string[];
  /** Fills `target` with the extent's bytes at `offset`; unallocated grains through `fallback`. Throws typed errors. */
  readInto(offset: number, target: Uint8Array, fallback: Fallback): Promise<void>;
  describe(): Record<string, JsonValue>;
}

export type GrainRef =
  | { kind: 'data'; fileOffset: number }
  | { kind: 'compressed'; fileOffset: number }
  | { kind: 'zero' }
  | { kind: 'parent' };

/** A bounded LRU of promises (grain tables, inflated grains); a rejected load is forgotten. */
export class BoundedCache<T> {
  private readonly map = new Map<number, Promise<T>>();
  constructor(private readonly capacity: number) {}

  get(key: number, load: () => Promise<T>): Promise<T> {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const promise = load();
    promise.catch(() => this.map.delete(key));
    this.map.set(key, promise);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as number);
    return promise;
  }

  clear(): void {
    this.map.clear();
  }
}

/** The shared walk of grain-based extents: plan by grain, coalesce contiguous file runs, then read. */
export abstract class GrainExtent implements Extent {
  abstract readonly kind: string;
  readonly anomalies: string[] = [];
  protected readonly tables = new BoundedCache<Uint8Array>(VMDK_LIMITS.cachedGrainTables);

  constructor(
    readonly path: string,
    readonly file: ByteSource,
    readonly size: number,
    readonly grainBytes: number,
  ) {}

  /** Where grain `index` (from the extent's start) lives. */
  protected abstract lookup(index: number): Promise<GrainRef>;

  /** A compressed grain's inflated bytes (streamOptimized only). */
  protected readCompressed(_index: number, fileOffset: number): Promise<Uint8Array> {
    return Promise.reject(vmdkCorrupt('VMDK_UNEXPECTED_COMPRESSED_GRAIN', `${this.path}: compressed grain at ${hex(fileOffset)} in an uncompressed extent`, fileOffset));
  }

  async readInto(offset: number, target: Uint8Array, fallback: Fallback): Promise<void> {
    const end = offset + target.length;
    const jobs: Array<Promise<void>> = [];
    let run: { fileOffset: number; at: number; length: number } | undefined;
    const flush = () => {
      if (run) {
        const r = run;
        jobs.push(this.readData(r.fileOffset, target.subarray(r.at, r.at + r.length)));
      }
      run = undefined;
    };
    for (let pos = offset; pos < end; ) {
      const index = Math.floor(pos / this.grainBytes);
      const inGrain = pos - index * this.grainBytes;
      const length = Math.min(this.grainBytes - inGrain, end - pos);
      const at = pos - offset;
      const ref = await this.lookup(index);
      if (ref.kind === 'data') {
        const fileOffset = ref.fileOffset + inGrain;
        if (run && run.fileOffset + run.length === fileOffset) run.length += length;
        else {
          flush();
          run = { fileOffset, at, length };
        }
      } else {
        flush();
        const part = target.subarray(at, at + length);
        if (ref.kind === 'zero') part.fill(0);
        else if (ref.kind === 'parent') jobs.push(fallback(pos, part));
        else jobs.push(this.readCompressed(index, ref.fileOffset).then((grain) => part.set(grain.subarray(inGrain, inGrain + length))));
      }
      pos += length;
    }
    flush();
    await Promise.all(jobs);
  }

  private async readData(fileOffset: number, part: Uint8Array): Promise<void> {
    if (fileOffset + part.length > this.file.size) {
      throw vmdkCorrupt('VMDK_GRAIN_OUTSIDE_FILE', `${this.path}: grain data [${hex(fileOffset)}, +${part.length}) is past the end of the ${this.file.size}-byte file`, fileOffset, { path: this.path });
    }
    await readInto(this.file, fileOffset, part);
  }

  /** Reads a table of `bytes` at `fileOffset`, checked to lie inside the file. */
  protected async readTable(what: string, fileOffset: number, bytes: number): Promise<Uint8Array> {
    if (fileOffset + bytes > this.file.size || fileOffset < 512) {
      throw vmdkCorrupt('VMDK_TABLE_OUTSIDE_FILE', `${this.path}: ${what} [${hex(fileOffset)}, +${bytes}) is outside the ${this.file.size}-byte file`, fileOffset, { path: this.path });
    }
    return this.file.read(fileOffset, bytes);
  }

  abstract describe(): Record<string, JsonValue>;
}

/** A FLAT / VMFS extent: bytes at `start` in a plain file. A file shorter than the extent reads zeros past its end (an anomaly). */
export class FlatExtent implements Extent {
  readonly kind: string;
  readonly anomalies: string[] = [];
  constructor(
    kind: string,
    readonly path: string,
    readonly file: ByteSource,
    readonly size: number,
    readonly start: number,
  ) {
    this.kind = kind;
    if (start + size > file.size) this.anomalies.push(`${path}: flat extent needs ${start + size} bytes, the file has ${file.size}: the missing tail reads as zeros`);
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    const from = this.start + offset;
    const inFile = Math.max(0, Math.min(target.length, this.file.size - from));
    if (inFile > 0) await readInto(this.file, from, target.subarray(0, inFile));
    target.fill(0, inFile);
  }

  describe(): Record<string, JsonValue> {
    return { kind: this.kind, path: this.path, size: this.size, startOffset: this.start };
  }
}

/** A ZERO extent (or NOACCESS, read as zeros): no file. */
export class ZeroExtent implements Extent {
  readonly anomalies: string[] = [];
  constructor(
    readonly kind: string,
    readonly size: number,
  ) {}

  async readInto(_offset: number, target: Uint8Array): Promise<void> {
    target.fill(0);
  }

  describe(): Record<string, JsonValue> {
    return { kind: this.kind, size: this.size };
  }
}
