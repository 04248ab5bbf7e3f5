/**
 * Maps guest ranges of a qcow2 image to what they read from, through the L1
 * table (read once, bounded by MAX_L1_ENTRIES) and L2 tables (read on demand
 * into a bounded LRU cache). Reads are planned as runs, then executed.
 *
 * ```
 * guest offset ─┬─ l1 index  = offset >> (cluster_bits + l2_bits)
 *               ├─ l2 index  = (offset >> cluster_bits) & (l2_entries - 1)
 *               └─ in-cluster offset (extended L2: subcluster = in-cluster >> (cluster_bits - 5))
 * ```
 * References: qemu docs/interop/qcow2.txt, "Cluster mapping"; libyal libqcow
 * documentation, "Level 1 table", "Level 2 table".
 */
import type { ByteSource } from '@coldfix/io';
import { decodeL2Entry, type L2Context, type L2Decoding } from './codec/l2-entry.js';
import type { Qcow2Header } from './header-reader.js';
import { L1_OFFSET_MASK } from './layout/table-entry.js';
import { hex, qcow2Corrupt } from './qcow2-errors.js';

/** Bytes of L2 tables kept in memory per image. */
export const L2_CACHE_BYTES = 16 << 20;

export type Qcow2Run =
  | { kind: 'data'; offset: number; length: number; hostOffset: number }
  | { kind: 'zero'; offset: number; length: number }
  | { kind: 'unallocated'; offset: number; length: number }
  /** `within`: where the run starts inside the decompressed cluster. */
  | { kind: 'compressed'; offset: number; length: number; hostOffset: number; size: number; within: number };

export interface ClusterMapInit {
  file: ByteSource;
  header: Qcow2Header;
  /** The L1 table to follow (the active one, or a snapshot's). */
  l1TableOffset: number;
  l1Size: number;
  /** Guest size this L1 table maps. */
  size: number;
}

export class ClusterMap {
  readonly clusterSize: number;
  readonly l2Entries: number;
  private readonly entryBytes: number;
  private readonly ctx: L2Context;
  private l1: Uint8Array | undefined;
  private readonly l2Cache = new Map<number, Promise<Uint8Array>>();
  private readonly l2CacheMax: number;

  readonly l1TableOffset: number;

  constructor(private readonly init: ClusterMapInit) {
    this.l1TableOffset = init.l1TableOffset;
    const h = init.header;
    this.clusterSize = h.clusterSize;
    this.entryBytes = h.extendedL2 ? 16 : 8;
    this.l2Entries = h.clusterSize / this.entryBytes;
    this.ctx = { clusterBits: h.clusterBits, version: h.version, extendedL2: h.extendedL2, externalDataFile: h.externalDataFile };
    this.l2CacheMax = Math.max(4, Math.floor(L2_CACHE_BYTES / h.clusterSize));
    const needed = Math.ceil(init.size / (h.clusterSize * this.l2Entries));
    if (init.l1Size < needed) {
      throw qcow2Corrupt('QCOW2_L1_TOO_SMALL', `qcow2 L1 table at ${hex(init.l1TableOffset)}: ${init.l1Size} entries cannot map ${init.size} bytes (needs ${needed})`, init.l1TableOffset);
    }
  }

  /** Reads the L1 table (once). Throws CorruptError when it lies outside the file. */
  async load(): Promise<void> {
    if (this.l1) return;
    const { file, l1TableOffset, l1Size } = this.init;
    const length = l1Size * 8;
    if (length === 0) {
      this.l1 = new Uint8Array(0);
      return;
    }
    if (l1TableOffset % this.clusterSize !== 0 || l1TableOffset + length > file.size) {
      throw qcow2Corrupt('QCOW2_BAD_L1_TABLE', `qcow2 L1 table at ${hex(l1TableOffset)} (${l1Size} entries) is unaligned or past the end of the ${file.size}-byte file`, l1TableOffset);
    }
    this.l1 = await file.read(l1TableOffset, length);
  }

  /** Runs covering [offset, offset + length), in order, adjacent runs of one kind merged. */
  async plan(offset: number, length: number): Promise<Qcow2Run[]> {
    await this.load();
    const runs: Qcow2Run[] = [];
    const end = offset + length;
    const cs = this.clusterSize;
    const sub = cs / 32;
    for (let at = offset; at < end; ) {
      const cluster = Math.floor(at / cs);
      const clusterStart = cluster * cs;
      const clusterEnd = Math.min(end, clusterStart + cs);
      const d = await this.lookup(cluster);
      const m = d.mapping;
      if (m.kind === 'compressed') {
        push(runs, { kind: 'compressed', offset: at, length: clusterEnd - at, hostOffset: m.hostOffset, size: m.size, within: at - clusterStart });
      } else if (d.subclusters) {
        while (at < clusterEnd) {
          const index = Math.floor((at - clusterStart) / sub);
          const pieceEnd = Math.min(clusterEnd, clusterStart + (index + 1) * sub);
          const state = d.subclusters[index];
          const len = pieceEnd - at;
          if (state === 'a' && m.kind === 'data') push(runs, { kind: 'data', offset: at, length: len, hostOffset: m.hostOffset + (at - clusterStart) });
          else push(runs, { kind: state === 'z' ? 'zero' : 'unallocated', offset: at, length: len });
          at = pieceEnd;
        }
        continue;
      } else if (m.kind === 'data') {
        push(runs, { kind: 'data', offset: at, length: clusterEnd - at, hostOffset: m.hostOffset + (at - clusterStart) });
      } else {
        push(runs, { kind: m.kind, offset: at, length: clusterEnd - at });
      }
      at = clusterEnd;
    }
    return runs;
  }

  /** The decoded L2 entry of guest cluster `cluster`. Throws CorruptError on a bad L1 or L2 entry. */
  async lookup(cluster: number): Promise<L2Decoding> {
    await this.load();
    const l1Index = Math.floor(cluster / this.l2Entries);
    const l2Index = cluster % this.l2Entries;
    const l1 = this.l1!;
    if ((l1Index + 1) * 8 > l1.length) return { mapping: { kind: 'unallocated' } };
    const l1Entry = new DataView(l1.buffer, l1.byteOffset + l1Index * 8, 8).getBigUint64(0);
    const l2Offset = Number(l1Entry & L1_OFFSET_MASK);
    if (l2Offset === 0) return { mapping: { kind: 'unallocated' } };
    const table = await this.readL2(l2Offset, l1Index);
    const view = new DataView(table.buffer, table.byteOffset + l2Index * this.entryBytes, this.entryBytes);
    const entry = view.getBigUint64(0);
    const bitmap = this.entryBytes === 16 ? view.getBigUint64(8) : 0n;
    const decoded = decodeL2Entry(entry, bitmap, this.ctx);
    if (decoded.problem) {
      const at = l2Offset + l2Index * this.entryBytes;
      throw qcow2Corrupt('QCOW2_BAD_L2_ENTRY', `qcow2 L2 entry for guest cluster ${cluster} at ${hex(at)}: ${decoded.problem}`, at, { entry: hex(entry), bitmap: hex(bitmap) });
    }
    return decoded;
  }

  /** Raw L1 entry `index` (for the writer). */
  async l1Entry(index: number): Promise<bigint> {
    await this.load();
    const l1 = this.l1!;
    if ((index + 1) * 8 > l1.length) return 0n;
    return new DataView(l1.buffer, l1.byteOffset + index * 8, 8).getBigUint64(0);
  }

  /** Updates the in-memory copy of L1 entry `index` after the writer has written it to disk. */
  setL1Entry(index: number, entry: bigint): void {
    const l1 = this.l1!;
    new DataView(l1.buffer, l1.byteOffset + index * 8, 8).setBigUint64(0, entry);
  }

  /** The L2 table at `l2Offset` (the cached copy, which the writer keeps in step with the disk). */
  l2Table(l2Offset: number, l1Index: number): Promise<Uint8Array> {
    return this.readL2(l2Offset, l1Index);
  }

  /** Puts a freshly written L2 table in the cache. */
  cacheL2(l2Offset: number, table: Uint8Array): void {
    this.l2Cache.set(l2Offset, Promise.resolve(table));
    while (this.l2Cache.size > this.l2CacheMax) this.l2Cache.delete(this.l2Cache.keys().next().value!);
  }

  private readL2(l2Offset: number, l1Index: number): Promise<Uint8Array> {
    const cached = this.l2Cache.get(l2Offset);
    if (cached) {
      this.l2Cache.delete(l2Offset);
      this.l2Cache.set(l2Offset, cached);
      return cached;
    }
    const { file } = this.init;
    if (l2Offset % this.clusterSize !== 0 || l2Offset + this.clusterSize > file.size) {
      const at = this.init.l1TableOffset + l1Index * 8;
      return Promise.reject(
        qcow2Corrupt('QCOW2_BAD_L1_ENTRY', `qcow2 L1 entry ${l1Index} at ${hex(at)}: L2 table offset ${hex(l2Offset)} is unaligned or past the end of the ${file.size}-byte file`, at),
      );
    }
    const job = file.read(l2Offset, this.clusterSize);
    this.l2Cache.set(l2Offset, job);
    job.catch(() => this.l2Cache.delete(l2Offset));
    while (this.l2Cache.size > this.l2CacheMax) this.l2Cache.delete(this.l2Cache.keys().next().value!);
    return job;
  }
}

function push(runs: Qcow2Run[], run: Qcow2Run): void {
  const last = runs[runs.length - 1];
  if (last && last.kind === run.kind && last.offset + last.length === run.offset) {
    if (run.kind === 'zero' || run.kind === 'unallocated') {
      last.length += run.length;
      return;
    }
    if (run.kind === 'data' && last.kind === 'data' && last.hostOffset + last.length === run.hostOffset) {
      last.length += run.length;
      return;
    }
  }
  runs.push(run);
}
