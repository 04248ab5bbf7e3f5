/**
 * A VMDK as a virtual disk: its extents laid end to end, bytes no extent
 * holds (unallocated grains of a sparse delta) read from the parent, or as
 * zeros at the bottom of the chain.
 *
 *   virtual disk ──▶ extent 0 [0, s0) │ extent 1 [s0, s0+s1) │ …
 *                      └ grain not here ──▶ parent.read(same virtual offset)
 *
 * Writes (write-sparse.ts, write-cid.ts): only into an image that is one
 * uncompressed hosted sparse file (monolithicSparse, a delta included), never
 * into a parent; a new CID on the first write. Every other kind throws
 * UnsupportedError (VMDK_WRITE_UNSUPPORTED) and does not claim to be writable.
 * References: VMware "Virtual Disk Format 5.0"; qemu block/vmdk.c (vmdk_co_preadv).
 */
import { readParentInto } from '../parent-read.js';
import { checkRange, isWritable, readInto, UnsupportedError, type ByteSource, type JsonValue, type ResizableByteSource, type SourceInfo } from '@coldfix/io';
import type { ChainEntry, DiskImage, VmdkVariant, WritableDiskImage } from '../types.js';
import type { Descriptor } from './descriptor.js';
import type { Extent } from './extents/extent.js';
import type { SparseExtent } from './extents/sparse-extent.js';
import { VMDK_LAYER, vmdkUnsupported } from './vmdk-errors.js';
import { writeEmbeddedCid } from './write-cid.js';
import { writeSparse } from './write-sparse.js';

export interface VmdkImageInit {
  path: string;
  /** The file opened for `path` (descriptor or sole extent). */
  file: ByteSource;
  variant: VmdkVariant;
  descriptor?: Descriptor;
  extents: Extent[];
  /** Extent files opened beside `file` (closed with the image). */
  extentFiles: ByteSource[];
  parent?: DiskImage;
  anomalies: string[];
  /** Set when the image may be written: its single hosted sparse extent in the (writable) file. */
  writeTarget?: { extent: SparseExtent; file: ResizableByteSource };
  /** Why writes are refused (when there is no write target). */
  writeRefusal?: string;
}

export class VmdkImage implements WritableDiskImage {
  readonly format = 'vmdk' as const;
  /** Present (true) only when writes are possible (see writeTarget), so `isWritable(image)` tells the truth. */
  declare readonly writable: true;
  readonly blockSize = 512;
  readonly size: number;
  readonly variant: VmdkVariant;
  readonly chain: ChainEntry[];
  readonly anomalies: string[];
  readonly path: string;
  readonly descriptor: Descriptor | undefined;
  readonly extents: readonly Extent[];
  readonly parent: DiskImage | undefined;
  private readonly starts: number[] = [];
  private readonly file: ByteSource;
  private readonly extentFiles: ByteSource[];
  private readonly writeTarget: VmdkImageInit['writeTarget'];
  private readonly writeRefusal: string | undefined;
  private cidUpdated = false;
  private writeQueue: Promise<unknown> = Promise.resolve();

  constructor(init: VmdkImageInit) {
    this.path = init.path;
    this.file = init.file;
    this.variant = init.variant;
    this.descriptor = init.descriptor;
    this.extents = init.extents;
    this.extentFiles = init.extentFiles;
    this.parent = init.parent;
    this.anomalies = [...init.anomalies];
    let start = 0;
    for (const extent of init.extents) {
      this.starts.push(start);
      start += extent.size;
      this.anomalies.push(...extent.anomalies);
    }
    this.size = start;
    const unclean = init.extents.some((e) => e.describe().uncleanShutdown === true);
    const self: ChainEntry = {
      path: init.path,
      format: 'vmdk',
      variant: init.variant,
      virtualSize: this.size,
      ...(init.descriptor?.cid ? { cid: init.descriptor.cid } : {}),
      ...(init.descriptor?.parentCid ? { parentCid: init.descriptor.parentCid } : {}),
      uncleanShutdown: unclean,
    };
    this.chain = [self, ...(init.parent?.chain ?? [])];
    this.writeTarget = init.writeTarget;
    this.writeRefusal = init.writeRefusal;
    if (this.writeTarget) Object.defineProperty(this, 'writable', { value: true, enumerable: true });
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    await this.readInto(offset, out);
    return out;
  }

  /** Fills `target` with virtual-disk bytes; throws OutOfRangeError, CorruptError (bad tables, markers), IoError. */
  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(offset, target.length, this.size, VMDK_LAYER);
    const end = offset + target.length;
    const jobs: Array<Promise<void>> = [];
    for (let i = this.findExtent(offset); i < this.extents.length && this.starts[i] < end; i++) {
      const start = this.starts[i];
      const extent = this.extents[i];
      const from = Math.max(offset, start);
      const to = Math.min(end, start + extent.size);
      if (to <= from) continue;
      const part = target.subarray(from - offset, to - offset);
      jobs.push(extent.readInto(from - start, part, (o, t) => readParentInto(this.parent, start + o, t)));
    }
    await Promise.all(jobs);
  }

  /** Index of the extent holding `offset` (binary search over the start offsets). */
  private findExtent(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }


  /**
   * Writes virtual-disk bytes into this image's own file (never a parent). Throws UnsupportedError
   * READ_ONLY (opened read-only) or VMDK_WRITE_UNSUPPORTED (a kind we do not write), PreconditionError
   * (grain table not allocated, descriptor without a CID), and the file's IoError.
   */
  async write(offset: number, data: Uint8Array): Promise<void> {
    checkRange(offset, data.length, this.size, VMDK_LAYER);
    const target = this.writeTarget;
    if (!target) {
      if (!isWritable(this.file)) throw new UnsupportedError(`${this.path}: opened read-only`, { code: 'READ_ONLY', layer: VMDK_LAYER });
      throw vmdkUnsupported('VMDK_WRITE_UNSUPPORTED', `${this.path}: ${this.writeRefusal ?? `writing ${this.variant} is not supported`}; write a flattened copy instead`, { path: this.path, variant: this.variant });
    }
    const job = this.writeQueue.then(async () => {
      if (data.length === 0) return;
      if (!this.cidUpdated) {
        const cid = await writeEmbeddedCid(target.file, target.extent.header, this.path, this.descriptor?.cid);
        this.cidUpdated = true;
        if (this.descriptor) this.descriptor.cid = cid;
        this.chain[0].cid = cid;
      }
      await writeSparse(target.extent, target.file, offset, data, (o, t) => readParentInto(this.parent, o, t));
    });
    this.writeQueue = job.catch(() => undefined);
    return job;
  }

  async flush(): Promise<void> {
    await this.writeQueue;
    if (this.writeTarget) await this.writeTarget.file.flush();
  }

  async close(): Promise<void> {
    await this.writeQueue;
    const files = new Set<ByteSource>([this.file, ...this.extentFiles]);
    await Promise.all([...files].map((f) => f.close()));
    await this.parent?.close();
  }

  describe(): SourceInfo {
    const d = this.descriptor;
    const details: Record<string, JsonValue> = {
      format: 'vmdk',
      variant: this.variant,
      virtualSize: this.size,
      extents: this.extents.map((e) => e.describe()),
      chain: this.chain.map((c) => ({ ...c }) as unknown as JsonValue),
      anomalies: [...this.anomalies],
    };
    if (d?.createType) details.createType = d.createType;
    if (d?.cid) details.cid = d.cid;
    if (d?.parentCid) details.parentCid = d.parentCid;
    if (d?.parentFileNameHint) details.parentFileNameHint = d.parentFileNameHint;
    return { kind: 'vmdk', identity: this.path, details, parent: this.parent ? this.parent.describe() : this.file.describe() };
  }
}
