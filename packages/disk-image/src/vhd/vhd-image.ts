/**
 * A VHD (fixed, dynamic or differencing) as a virtual disk: reads planned as
 * runs (file | zero | parent) and executed with one read per run; writes in
 * place or by appending blocks (vhd-writer.ts).
 *
 * References: Microsoft VHD specification 1.0 (2006); libvhdi format document;
 * qemu block/vpc.c.
 */
import { readParentInto } from '../parent-read.js';
import { checkRange, isWritable, readInto, UnsupportedError, type ByteSource, type ResizableByteSource, type SourceInfo } from '@coldfix/io';
import type { ChainEntry, DiskImage, WritableDiskImage } from '../types.js';
import { BlockMap, type ReadRun } from './block-map.js';
import type { DynamicMetadata } from './dynamic-metadata.js';
import type { FooterLocation } from './footer-reader.js';
import { vhdTimestampToIso } from './layout/footer.js';
import { VHD_LAYER } from './vhd-errors.js';
import { writeVhd } from './vhd-writer.js';

export interface VhdImageInit {
  path: string;
  file: ByteSource;
  footer: FooterLocation;
  meta?: DynamicMetadata;
  parent?: DiskImage;
  anomalies: string[];
}

export class VhdImage implements WritableDiskImage {
  readonly format = 'vhd' as const;
  /** Present (true) only when the file was opened writable, so `isWritable(image)` tells the truth. */
  declare readonly writable: true;
  readonly blockSize = 512;
  readonly size: number;
  readonly variant: 'fixed' | 'dynamic' | 'differencing';
  readonly chain: ChainEntry[];
  readonly anomalies: string[];
  readonly path: string;
  readonly file: ByteSource;
  readonly footer: FooterLocation;
  readonly parent: DiskImage | undefined;
  readonly map: BlockMap | undefined;
  /** Writes are serialised: two writes into one unallocated block must not allocate it twice. */
  private writeQueue: Promise<unknown> = Promise.resolve();

  constructor(init: VhdImageInit) {
    this.path = init.path;
    this.file = init.file;
    this.footer = init.footer;
    this.parent = init.parent;
    this.anomalies = init.anomalies;
    this.variant = init.footer.footer.diskTypeName;
    this.size = Number(init.footer.footer.currentSize);
    this.map = init.meta ? new BlockMap(init.file, init.meta, this.size, init.footer.trailingOffset, this.variant === 'differencing') : undefined;
    const self: ChainEntry = {
      path: init.path,
      format: 'vhd',
      variant: this.variant,
      virtualSize: this.size,
      uniqueId: init.footer.footer.uniqueId,
      timestamp: vhdTimestampToIso(init.footer.footer.timestamp),
    };
    this.chain = [self, ...(init.parent?.chain ?? [])];
    if (isWritable(init.file)) Object.defineProperty(this, 'writable', { value: true, enumerable: true });
  }

  /** Reads virtual-disk bytes; throws OutOfRangeError, CorruptError (bad BAT entry) or the file's IoError. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, VHD_LAYER);
    if (!this.map) return this.file.read(offset, length);
    const runs = await this.map.plan(offset, length);
    if (runs.length === 1) return this.readRun(runs[0]);
    const span = singleSpan(runs);
    if (span) {
      // Consecutive blocks separated only by their bitmaps: one file read, then close the gaps in place
      // (ascending, each run moves towards the start, so copyWithin never overwrites unread bytes).
      const bytes = await this.file.read(span.start, span.end - span.start);
      for (const run of runs as Array<Extract<ReadRun, { kind: 'data' }>>) {
        const from = run.fileOffset - span.start;
        const to = run.offset - offset;
        if (from !== to) bytes.copyWithin(to, from, from + run.length);
      }
      return bytes.subarray(0, length);
    }
    const out = new Uint8Array(length);
    await Promise.all(
      runs.map(async (run) => {
        if (run.kind === 'zero') return;
        out.set(await this.readRun(run), run.offset - offset);
      }),
    );
    return out;
  }

  /**
   * Fills `target` with the virtual-disk bytes at `offset`: each run read straight into its part of
   * `target` (no intermediate buffer), zeros filled, parent runs through the parent's own readInto.
   * Same errors as `read`.
   */
  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(offset, target.length, this.size, VHD_LAYER);
    if (!this.map) return readInto(this.file, offset, target);
    const runs = await this.map.plan(offset, target.length);
    await Promise.all(
      runs.map((run) => {
        const part = target.subarray(run.offset - offset, run.offset - offset + run.length);
        if (run.kind === 'data') return readInto(this.file, run.fileOffset, part);
        if (run.kind === 'parent') return readParentInto(this.parent, run.offset, part);
        part.fill(0);
        return undefined;
      }),
    );
  }

  /** The planned runs of a range (for tests and reports: which bytes come from where). */
  async plan(offset: number, length: number): Promise<ReadRun[]> {
    checkRange(offset, length, this.size, VHD_LAYER);
    if (!this.map) return [{ kind: 'data', offset, length, fileOffset: offset }];
    return this.map.plan(offset, length);
  }

  private readRun(run: ReadRun): Promise<Uint8Array> {
    switch (run.kind) {
      case 'data':
        return this.file.read(run.fileOffset, run.length);
      case 'zero':
        return Promise.resolve(new Uint8Array(run.length));
      case 'parent':
        return this.readParent(run.offset, run.length);
    }
  }

  /** The parent's bytes; past the parent's end (a child larger than its parent) reads zeros. */
  async readParent(offset: number, length: number): Promise<Uint8Array> {
    const parent = this.parent;
    if (!parent || offset >= parent.size) return new Uint8Array(length);
    if (offset + length <= parent.size) return parent.read(offset, length);
    const out = new Uint8Array(length);
    out.set(await parent.read(offset, parent.size - offset));
    return out;
  }


  /**
   * Writes virtual-disk bytes into the child file (never the parent).
   * Throws UnsupportedError when opened read-only, PreconditionError when the
   * trailing footer is damaged and a block would have to be appended.
   */
  async write(offset: number, data: Uint8Array): Promise<void> {
    checkRange(offset, data.length, this.size, VHD_LAYER);
    const file = this.file;
    if (!isWritable(file) || typeof (file as ResizableByteSource).resize !== 'function') {
      throw new UnsupportedError(`${this.path}: opened read-only`, { code: 'READ_ONLY', layer: VHD_LAYER });
    }
    const job = this.writeQueue.then(() => writeVhd(this, file as ResizableByteSource, offset, data));
    this.writeQueue = job.catch(() => undefined);
    return job;
  }

  async flush(): Promise<void> {
    await this.writeQueue;
    if (isWritable(this.file)) await this.file.flush();
  }

  async close(): Promise<void> {
    await this.writeQueue;
    await this.file.close();
    await this.parent?.close();
  }

  describe(): SourceInfo {
    const footer = this.footer.footer;
    return {
      kind: 'vhd',
      identity: this.path,
      details: {
        format: 'vhd',
        variant: this.variant,
        virtualSize: this.size,
        uniqueId: footer.uniqueId,
        creator: `${footer.creatorApplication.trim()} ${footer.creatorVersion >>> 16}.${footer.creatorVersion & 0xffff}`,
        ...(this.map ? { blockSize: this.map.blockSize, batEntries: this.map.bat.length } : {}),
        ...(this.map?.meta && this.variant === 'differencing' ? { parentUniqueId: this.map.meta.header.parentUniqueId, parentName: this.map.meta.parentName } : {}),
        chain: this.chain.map((c) => ({ ...c })),
        anomalies: [...this.anomalies],
      },
      parent: this.parent ? this.parent.describe() : this.file.describe(),
    };
  }
}

/** Largest gap (bytes: bitmaps between consecutive blocks) read through rather than split into two reads. */
const MAX_SPAN_GAP = 64 * 1024;

/** When every run is file data, in ascending file order with small gaps: the file span covering them. */
function singleSpan(runs: ReadRun[]): { start: number; end: number } | undefined {
  let end = -1;
  let start = -1;
  for (const run of runs) {
    if (run.kind !== 'data') return undefined;
    if (start < 0) start = run.fileOffset;
    else if (run.fileOffset < end || run.fileOffset - end > MAX_SPAN_GAP) return undefined;
    end = run.fileOffset + run.length;
  }
  return start < 0 ? undefined : { start, end };
}
