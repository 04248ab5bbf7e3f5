/**
 * The $MFT as an array of fixed-size records read through its own runlist.
 * Reads go through a bounded cache of aligned 32 KiB chunks (32 records of 1 KiB): lookups touch a
 * few scattered records, and fresh memory is dear (~5 us per KiB to fault in on the VMs here);
 * sequential scans read 4 MiB at a time (ntfs-3g and TSK read per record).
 */
import { CachedSource, type ByteSource } from '@coldfix/io';
import { AttributeStream } from './attribute-stream.js';
import { findRun, type Run } from './codec/runlist.js';
import { corrupt } from './errors.js';

export const MFT_CHUNK_BYTES = 32 << 10;
export const MFT_SCAN_BYTES = 4 << 20;

export class Mft {
  readonly stream: AttributeStream;
  readonly cache: CachedSource;
  readonly recordCount: number;

  constructor(
    readonly volume: ByteSource,
    readonly clusterSize: number,
    readonly recordSize: number,
    readonly runs: Run[],
    dataSize: number,
    initializedSize: number,
    cacheBytes = 32 << 20,
    volumeSize?: number,
  ) {
    this.stream = new AttributeStream(volume, { clusterSize, runs, dataSize, initializedSize, compressionUnit: 0, label: '$MFT', volumeSize });
    this.cache = new CachedSource(this.stream, { cacheBlockSize: MFT_CHUNK_BYTES, maxBytes: cacheBytes });
    this.recordCount = Math.floor(dataSize / recordSize);
  }

  private check(recordNumber: number): void {
    if (!Number.isSafeInteger(recordNumber) || recordNumber < 0 || recordNumber >= this.recordCount) {
      throw corrupt('NTFS_RECORD_NUMBER', `MFT record ${recordNumber} is outside the $MFT (${this.recordCount} records)`, undefined, { recordNumber, recordCount: this.recordCount });
    }
  }

  /** A private copy of record `n` as stored (fixups not applied). */
  async readRaw(recordNumber: number): Promise<Uint8Array> {
    this.check(recordNumber);
    return this.cache.read(recordNumber * this.recordSize, this.recordSize);
  }

  /** Record `n` as stored, read alone past the chunk cache (scattered records of a walk: see readRecordBatch). */
  async readUncached(recordNumber: number): Promise<Uint8Array> {
    this.check(recordNumber);
    return this.stream.read(recordNumber * this.recordSize, this.recordSize);
  }

  /** `count` consecutive raw records starting at `first`, in one read (for scans). */
  async readRange(first: number, count: number): Promise<Uint8Array> {
    this.check(first);
    const n = Math.min(count, this.recordCount - first);
    return this.stream.read(first * this.recordSize, n * this.recordSize);
  }

  /** Records per scan chunk. */
  get recordsPerScan(): number {
    return Math.max(1, Math.floor(MFT_SCAN_BYTES / this.recordSize));
  }

  /**
   * Absolute volume byte ranges holding record `n` (one range unless the
   * record straddles a fragment boundary, possible when records are larger
   * than clusters). For writers.
   */
  recordExtents(recordNumber: number): Array<{ offset: number; length: number }> {
    this.check(recordNumber);
    const out: Array<{ offset: number; length: number }> = [];
    let position = recordNumber * this.recordSize;
    const end = position + this.recordSize;
    while (position < end) {
      const vcn = Math.floor(position / this.clusterSize);
      const index = findRun(this.runs, vcn);
      const run = this.runs[index];
      if (index < 0 || run.lcn === null) throw corrupt('NTFS_MFT_UNMAPPED', `MFT record ${recordNumber} lies in an unmapped part of $MFT`);
      const take = Math.min(end, (run.vcn + run.length) * this.clusterSize) - position;
      const offset = run.lcn * this.clusterSize + (position - run.vcn * this.clusterSize);
      const last = out[out.length - 1];
      if (last && last.offset + last.length === offset) last.length += take;
      else out.push({ offset, length: take });
      position += take;
    }
    return out;
  }
}
