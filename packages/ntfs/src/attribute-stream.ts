/**
 * A non-resident attribute's value as a ByteSource over the volume: runs map
 * VCNs to LCNs; sparse runs and unmapped VCNs read as zeros; bytes at or past
 * the initialized size read as zeros; LZNT1-compressed attributes are
 * decompressed per compression unit (libfsntfs "Compressed data"; ntfs-3g
 * compress.c ntfs_compressed_attr_pread).
 *
 *   VCN:   0 ......... 15 | 16 ........ 31      compression unit = 16 clusters
 *   runs:  [LCN 100 x 5][sparse x 11] | [LCN 300 x 16]
 *          -> unit 0 compressed in 5 clusters; unit 1 stored raw
 */
import { checkRange, type ByteSource, type SourceInfo } from '@coldfix/io';
import { corrupt } from './errors.js';
import { findRun, type Run } from './codec/runlist.js';
import { decompressLznt1 } from './codec/lznt1.js';

export interface StreamGeometry {
  clusterSize: number;
  runs: Run[];
  /** Logical size (bytes). */
  dataSize: number;
  /** Bytes past this read as zeros. */
  initializedSize: number;
  /** log2 of clusters per compression unit; 0 = not compressed. */
  compressionUnit: number;
  /** Identity for describe() and errors. */
  label?: string;
  /**
   * Declared volume size (boot sector). Runs past it are corrupt; runs inside
   * it but past the end of the source (a truncated image) read as zeros.
   */
  volumeSize?: number;
}

export class AttributeStream implements ByteSource {
  readonly size: number;
  readonly blockSize: number;
  private readonly unitBytes: number;
  private readonly unitCache = new Map<number, Uint8Array>();

  constructor(
    readonly volume: ByteSource,
    readonly geometry: StreamGeometry,
  ) {
    this.size = geometry.dataSize;
    this.blockSize = geometry.clusterSize;
    this.unitBytes = geometry.compressionUnit ? geometry.clusterSize * 2 ** geometry.compressionUnit : 0;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, 'ntfs-stream');
    const end = Math.min(offset + length, this.geometry.initializedSize);
    if (!this.unitBytes && end === offset + length && length > 0) {
      // Fast path: one allocated run covers the request; no extra copy.
      const cs = this.geometry.clusterSize;
      const index = findRun(this.geometry.runs, Math.floor(offset / cs));
      const run = index >= 0 ? this.geometry.runs[index] : undefined;
      if (run && run.lcn !== null && end <= (run.vcn + run.length) * cs) {
        const volumeOffset = run.lcn * cs + (offset - run.vcn * cs);
        if (volumeOffset + length <= this.volume.size) return this.volume.read(volumeOffset, length);
      }
    }
    const out = new Uint8Array(length);
    if (end <= offset) return out;
    if (this.unitBytes) await this.readCompressed(out, offset, end);
    else await this.readPlain(out, offset, offset, end);
    return out;
  }

  /** Copies volume bytes for [from, to) of the stream into out (out[0] = stream byte `base`). */
  private async readPlain(out: Uint8Array, base: number, from: number, to: number): Promise<void> {
    const cs = this.geometry.clusterSize;
    const runs = this.geometry.runs;
    let position = from;
    while (position < to) {
      const vcn = Math.floor(position / cs);
      const index = findRun(runs, vcn);
      if (index < 0) {
        // Unmapped: zeros up to the next run.
        const next = runs.find((r) => r.vcn > vcn);
        position = next ? Math.min(to, next.vcn * cs) : to;
        continue;
      }
      const run = runs[index];
      const runEnd = Math.min(to, (run.vcn + run.length) * cs);
      if (run.lcn !== null) {
        const volumeOffset = run.lcn * cs + (position - run.vcn * cs);
        const take = runEnd - position;
        const limit = this.geometry.volumeSize ?? this.volume.size;
        if (volumeOffset + take > Math.max(limit, this.volume.size)) {
          throw corrupt('NTFS_RUN_OUTSIDE_VOLUME', `${this.geometry.label ?? 'attribute'}: run at LCN ${run.lcn} (+${run.length}) lies outside the volume`, volumeOffset, { lcn: run.lcn, length: run.length });
        }
        const available = Math.max(0, Math.min(take, this.volume.size - volumeOffset));
        if (available > 0) out.set(await this.volume.read(volumeOffset, available), position - base);
      }
      position = runEnd;
    }
  }

  private async readCompressed(out: Uint8Array, from: number, to: number): Promise<void> {
    const ub = this.unitBytes;
    for (let unit = Math.floor(from / ub); unit * ub < to; unit++) {
      const data = await this.unit(unit);
      const unitStart = unit * ub;
      const a = Math.max(from, unitStart);
      const b = Math.min(to, unitStart + ub);
      out.set(data.subarray(a - unitStart, b - unitStart), a - from);
    }
  }

  /** One decompressed compression unit (small LRU, so sequential small reads stay cheap). */
  private async unit(unit: number): Promise<Uint8Array> {
    const cached = this.unitCache.get(unit);
    if (cached) return cached;
    const cs = this.geometry.clusterSize;
    const clusters = 2 ** this.geometry.compressionUnit;
    const firstVcn = unit * clusters;
    // Count allocated clusters in this unit, in VCN order.
    let allocated = 0;
    let sparse = 0;
    for (let vcn = firstVcn; vcn < firstVcn + clusters; ) {
      const index = findRun(this.geometry.runs, vcn);
      if (index < 0) {
        sparse += 1;
        vcn += 1;
        continue;
      }
      const run = this.geometry.runs[index];
      const n = Math.min(run.vcn + run.length, firstVcn + clusters) - vcn;
      if (run.lcn === null) sparse += n;
      else allocated += n;
      vcn += n;
    }
    const data = new Uint8Array(this.unitBytes);
    if (allocated === 0) {
      // Entirely sparse: zeros.
    } else if (sparse === 0) {
      await this.readPlain(data, firstVcn * cs, firstVcn * cs, firstVcn * cs + this.unitBytes);
    } else {
      const packed = new Uint8Array(allocated * cs);
      await this.readPlain(packed, firstVcn * cs, firstVcn * cs, firstVcn * cs + allocated * cs);
      decompressLznt1(packed, data);
    }
    this.unitCache.set(unit, data);
    if (this.unitCache.size > 8) this.unitCache.delete(this.unitCache.keys().next().value as number);
    return data;
  }

  async close(): Promise<void> {
    this.unitCache.clear();
  }

  describe(): SourceInfo {
    return { kind: 'ntfs-attribute', identity: this.geometry.label, details: { dataSize: this.size, initializedSize: this.geometry.initializedSize, runs: this.geometry.runs.length, compressed: this.unitBytes > 0 }, parent: this.volume.describe() };
  }
}
