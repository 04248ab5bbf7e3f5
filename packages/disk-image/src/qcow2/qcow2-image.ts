/**
 * A qcow2 image (version 2 or 3) as a virtual disk, read-only: reads are
 * planned as runs (data | zero | unallocated | compressed) by the cluster map
 * and executed one read per run; unallocated runs come from the backing file
 * (zeros past its end or without one); compressed clusters are decompressed
 * into a small LRU cache so that sector-sized reads do not inflate a cluster
 * again and again.
 *
 * References: qemu docs/interop/qcow2.txt; libyal libqcow documentation.
 */
import { readParentInto } from '../parent-read.js';
import { checkRange, isWritable, readInto, UnsupportedError, type ByteSource, type ResizableByteSource, type SourceInfo } from '@coldfix/io';
import type { ChainEntry, DiskImage, ImageSnapshot, WritableDiskImage } from '../types.js';
import { ClusterMap, type Qcow2Run } from './cluster-map.js';
import { decompressCluster } from './codec/decompress.js';
import type { Qcow2Header } from './header-reader.js';
import { QCOW2_LAYER } from './qcow2-errors.js';
import type { Qcow2Snapshot } from './snapshot-table.js';
import { writeQcow2 } from './write/qcow2-writer.js';

/** Decompressed clusters kept (at most 8 × 2 MiB). */
const COMPRESSED_CACHE_ENTRIES = 8;

export interface Qcow2ImageInit {
  path: string;
  file: ByteSource;
  header: Qcow2Header;
  snapshots: Qcow2Snapshot[];
  /** The snapshot read instead of the active state. */
  snapshot?: Qcow2Snapshot;
  dataFile?: ByteSource;
  parent?: DiskImage;
  anomalies: string[];
}

export class Qcow2Image implements WritableDiskImage {
  readonly format = 'qcow2' as const;
  /** Present (true) only when the file was opened writable, so `isWritable(image)` tells the truth. */
  declare readonly writable: true;
  readonly blockSize = 512;
  readonly size: number;
  readonly variant: 'v2' | 'v3';
  readonly chain: ChainEntry[];
  readonly anomalies: string[];
  readonly path: string;
  readonly file: ByteSource;
  readonly header: Qcow2Header;
  readonly snapshots: Qcow2Snapshot[];
  readonly snapshot: Qcow2Snapshot | undefined;
  readonly dataFile: ByteSource | undefined;
  readonly parent: DiskImage | undefined;
  readonly map: ClusterMap;
  private readonly compressed = new Map<number, Uint8Array>();
  /** Writes are serialised: two writes into one unallocated cluster must not allocate it twice. */
  private writeQueue: Promise<unknown> = Promise.resolve();

  constructor(init: Qcow2ImageInit) {
    this.path = init.path;
    this.file = init.file;
    this.header = init.header;
    this.snapshots = init.snapshots;
    this.snapshot = init.snapshot;
    this.dataFile = init.dataFile;
    this.parent = init.parent;
    this.anomalies = init.anomalies;
    this.variant = init.header.version === 2 ? 'v2' : 'v3';
    this.size = init.snapshot ? init.snapshot.diskSize : init.header.size;
    this.map = new ClusterMap({
      file: init.file,
      header: init.header,
      l1TableOffset: init.snapshot ? init.snapshot.l1TableOffset : init.header.l1TableOffset,
      l1Size: init.snapshot ? init.snapshot.l1Size : init.header.l1Size,
      size: this.size,
    });
    const h = init.header;
    const self: ChainEntry = {
      path: init.path,
      format: 'qcow2',
      variant: this.variant,
      virtualSize: this.size,
      flags: qcow2Flags(h),
      snapshots: init.snapshots.map(
        (s): ImageSnapshot => ({ id: s.id, name: s.name, date: s.date, virtualSize: s.diskSize, vmStateSize: s.vmStateSize }),
      ),
      ...(init.snapshot ? { snapshot: init.snapshot.id } : {}),
      ...(h.backingFile !== undefined ? { backingFile: h.backingFile } : {}),
      ...(h.backingFormat !== undefined ? { backingFormat: h.backingFormat } : {}),
      ...(h.dataFile !== undefined ? { dataFile: h.dataFile } : {}),
    };
    this.chain = [self, ...(init.parent?.chain ?? [])];
    if (isWritable(init.file) && !init.snapshot) Object.defineProperty(this, 'writable', { value: true, enumerable: true });
  }

  /** Reads virtual-disk bytes. Throws OutOfRangeError, CorruptError (bad table entry or compressed cluster), IoError. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    await this.readInto(offset, out);
    return out;
  }

  /** Fills `target` with the virtual-disk bytes at `offset`; same errors as `read`. */
  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(offset, target.length, this.size, QCOW2_LAYER);
    const runs = await this.map.plan(offset, target.length);
    await Promise.all(runs.map((run) => this.readRun(run, target.subarray(run.offset - offset, run.offset - offset + run.length))));
  }

  /** The planned runs of a range (for tests and reports: which bytes come from where). */
  async plan(offset: number, length: number): Promise<Qcow2Run[]> {
    checkRange(offset, length, this.size, QCOW2_LAYER);
    return this.map.plan(offset, length);
  }

  private async readRun(run: Qcow2Run, part: Uint8Array): Promise<void> {
    switch (run.kind) {
      case 'zero':
        part.fill(0);
        return;
      case 'unallocated':
        return readParentInto(this.parent, run.offset, part);
      case 'data':
        return readPadded(this.dataFile ?? this.file, run.hostOffset, part);
      case 'compressed': {
        const cluster = await this.decompressed(run.hostOffset, run.size);
        part.set(cluster.subarray(run.within, run.within + run.length));
      }
    }
  }

  private async decompressed(hostOffset: number, size: number): Promise<Uint8Array> {
    const hit = this.compressed.get(hostOffset);
    if (hit) {
      this.compressed.delete(hostOffset);
      this.compressed.set(hostOffset, hit);
      return hit;
    }
    const stored = new Uint8Array(size);
    await readPadded(this.file, hostOffset, stored);
    const cluster = decompressCluster(stored, this.header.clusterSize, this.header.compressionType, hostOffset);
    this.compressed.set(hostOffset, cluster);
    if (this.compressed.size > COMPRESSED_CACHE_ENTRIES) this.compressed.delete(this.compressed.keys().next().value!);
    return cluster;
  }


  /**
   * Writes virtual-disk bytes into this image (never the backing file), in qemu's safe order (write/qcow2-writer.ts).
   * Throws UnsupportedError (opened read-only; features the writer does not handle), PreconditionError (dirty or
   * corrupt image), CorruptError.
   */
  async write(offset: number, data: Uint8Array): Promise<void> {
    checkRange(offset, data.length, this.size, QCOW2_LAYER);
    const file = this.file;
    if (!this.writable || !isWritable(file) || typeof (file as ResizableByteSource).resize !== 'function') {
      throw new UnsupportedError(`${this.path}: opened read-only`, { code: 'READ_ONLY', layer: QCOW2_LAYER });
    }
    const job = this.writeQueue.then(() => writeQcow2(this, file as ResizableByteSource, offset, data));
    this.writeQueue = job.catch(() => undefined);
    return job;
  }

  async flush(): Promise<void> {
    await this.writeQueue;
    if (isWritable(this.file)) await this.file.flush();
  }

  async close(): Promise<void> {
    await this.writeQueue.catch(() => undefined);
    await this.file.close();
    await this.dataFile?.close();
    await this.parent?.close();
  }

  describe(): SourceInfo {
    const h = this.header;
    return {
      kind: 'qcow2',
      identity: this.path,
      details: {
        format: 'qcow2',
        variant: this.variant,
        version: h.version,
        virtualSize: this.size,
        clusterSize: h.clusterSize,
        flags: qcow2Flags(h),
        snapshots: this.snapshots.map((s) => ({ id: s.id, name: s.name, date: s.date, virtualSize: s.diskSize })),
        ...(this.snapshot ? { snapshot: this.snapshot.id } : {}),
        ...(h.backingFile !== undefined ? { backingFile: h.backingFile, backingFormat: h.backingFormat ?? null } : {}),
        ...(h.dataFile !== undefined ? { dataFile: h.dataFile } : {}),
        chain: this.chain.map((c) => JSON.parse(JSON.stringify(c))),
        anomalies: [...this.anomalies],
      },
      parent: this.parent ? this.parent.describe() : this.file.describe(),
    };
  }
}

/** The header's features as qemu-img info names them. */
export function qcow2Flags(h: Qcow2Header): string[] {
  const flags: string[] = [`compat=${h.version === 2 ? '0.10' : '1.1'}`, `cluster_size=${h.clusterSize}`];
  if (h.dirty) flags.push('dirty');
  if (h.corrupt) flags.push('corrupt');
  if (h.lazyRefcounts) flags.push('lazy_refcounts');
  if (h.extendedL2) flags.push('extended_l2');
  if (h.externalDataFile) flags.push('data_file');
  if (h.rawExternalData) flags.push('data_file_raw');
  if (h.compressionType !== 'zlib') flags.push(`compression_type=${h.compressionType}`);
  if (h.version === 3 && h.refcountOrder !== 4) flags.push(`refcount_bits=${2 ** h.refcountOrder}`);
  return flags;
}

/** Reads into `target`; bytes past the end of `source` read as zeros (as qemu's file driver pads short reads). */
async function readPadded(source: ByteSource, offset: number, target: Uint8Array): Promise<void> {
  const inFile = Math.max(0, Math.min(target.length, source.size - offset));
  if (inFile > 0) await readInto(source, offset, target.subarray(0, inFile));
  target.fill(0, inFile);
}
