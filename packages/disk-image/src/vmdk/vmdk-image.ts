/**
 * A VMDK as a virtual disk: its extents laid end to end, bytes no extent
 * holds (unallocated grains of a sparse delta) read from the parent, or as
 * zeros at the bottom of the chain.
 *
 *   virtual disk ──▶ extent 0 [0, s0) │ extent 1 [s0, s0+s1) │ …
 *                      └ grain not here ──▶ parent.read(same virtual offset)
 *
 * Writes are not implemented yet: `write` throws UnsupportedError
 * (VMDK_WRITE_UNSUPPORTED) and the image never claims to be writable.
 * References: VMware "Virtual Disk Format 5.0"; qemu block/vmdk.c (vmdk_co_preadv).
 */
import { checkRange, readInto, type ByteSource, type JsonValue, type SourceInfo } from '@coldfix/io';
import type { ChainEntry, DiskImage, VmdkVariant, WritableDiskImage } from '../types.js';
import type { Descriptor } from './descriptor.js';
import type { Extent } from './extents/extent.js';
import { VMDK_LAYER, vmdkUnsupported } from './vmdk-errors.js';

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
}

export class VmdkImage implements WritableDiskImage {
  readonly format = 'vmdk' as const;
  /** Never set: VMDK writes are not implemented, so `isWritable(image)` is false. */
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
      jobs.push(extent.readInto(from - start, part, (o, t) => this.readParentInto(start + o, t)));
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

  /** The parent's bytes at a virtual offset; zeros without a parent or past its end. */
  private async readParentInto(offset: number, target: Uint8Array): Promise<void> {
    const parent = this.parent;
    const inParent = parent ? Math.max(0, Math.min(target.length, parent.size - offset)) : 0;
    if (parent && inParent > 0) await readInto(parent, offset, target.subarray(0, inParent));
    target.fill(0, inParent);
  }

  /** Not implemented for VMDK: throws UnsupportedError (VMDK_WRITE_UNSUPPORTED). Use `repair --output` for a flattened copy. */
  async write(): Promise<void> {
    throw vmdkUnsupported('VMDK_WRITE_UNSUPPORTED', `${this.path}: writing VMDK (${this.variant}) is not supported; write a flattened copy instead`, { path: this.path, variant: this.variant });
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
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
