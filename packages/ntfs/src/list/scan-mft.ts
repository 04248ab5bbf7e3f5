/**
 * One sequential pass over the $MFT in large chunks (1 MiB, the next read in
 * flight while the current chunk is decoded) filling a RecordTable. Records
 * the fast decoder declines are left for the full decoder: unallocated ones
 * at once when deleted entries are wanted (walk.ts scanUnallocated, same
 * rules), the others on demand when the listing reaches them (resolveSlow).
 */
import { summarize } from '../walk.js';
import type { FileRecord } from '../record-view.js';
import type { NtfsVolume } from '../volume.js';
import { RecordBit, RecordState, RecordTable } from './record-table.js';
import { summarizeChunk, unallocatedAmong } from './summarize-raw.js';
import { MftScanReader } from './mft-reader.js';
import { DirectoryAttributeStore } from './directory-attributes.js';
import { namespaceCode } from '../layout/attribute-types.js';

/**
 * Bytes per scan read (two such buffers are in use). 1 MiB: the chunk the kernel just copied is
 * still in the CPU cache when it is decoded (ntfs-large, cold scan, 6 runs: median ~215 ms at
 * 1 MiB, ~230 ms at 2 MiB, ~260 ms at 4 MiB).
 */
const SCAN_BYTES = 1 << 20;

export interface ScanOptions {
  /** Collect $FILE_NAME attributes of records in use too (unallocated ones always get theirs). */
  names: boolean;
  /** Resolve unallocated records the fast decoder declines now (they are deleted candidates). */
  deleted: boolean;
}

/**
 * A table sized for a scan of `volume`, keeping directories' index attributes for the listing;
 * `shared`: its per-record arrays in SharedArrayBuffers, for a scan worker to fill.
 */
export function tableFor(volume: NtfsVolume, options: ScanOptions, shared = false): RecordTable {
  const count = volume.mft.recordCount;
  // With every name wanted, about one and a half a record (Win32 + DOS pairs); otherwise only deleted records' names.
  const nameCapacity = options.names ? Math.ceil(count * 1.5) : 1024;
  const table = shared ? RecordTable.shared(count, nameCapacity) : new RecordTable(count, nameCapacity);
  table.directoryAttributes = new DirectoryAttributeStore();
  return table;
}

/**
 * Fills `table` (default: a new tableFor()) from the $MFT; `onChunk(ready)` is called each time
 * records [0, ready) are done (a listing can go on with them meanwhile); when it returns false
 * the scan stops there (the listing ended).
 */
export async function scanMft(volume: NtfsVolume, options: ScanOptions, table = tableFor(volume, options), onChunk?: (ready: number) => boolean): Promise<RecordTable> {
  const mft = volume.mft;
  const size = volume.recordSize;
  const perChunk = Math.max(1, Math.floor(SCAN_BYTES / size));
  const reader = new MftScanReader(mft);
  // Two buffers: the next chunk is read into one while the other is decoded.
  const buffers = [new Uint8Array(Math.min(perChunk, mft.recordCount) * size), new Uint8Array(Math.min(perChunk, Math.max(0, mft.recordCount - perChunk)) * size)];
  const read = (first: number, k: number): Promise<Uint8Array> | null => {
    if (first >= mft.recordCount) return null;
    const count = Math.min(perChunk, mft.recordCount - first);
    const into = buffers[k & 1].subarray(0, count * size);
    return reader.read(first, count, into);
  };
  let pending = read(0, 0);
  try {
    for (let first = 0, k = 0; pending; first += perChunk, k++) {
      const chunk = await pending;
      pending = read(first + perChunk, k + 1);
      const count = Math.floor(chunk.length / size);
      // Word views need a 4-aligned chunk (ours are; a source's own buffer may not be).
      const aligned = chunk.byteOffset % 4 === 0 ? chunk : copyInto(buffers[k & 1], chunk);
      await decodeChunk(volume, table, aligned, first, count, options);
      if (onChunk && !onChunk(first + count)) break;
    }
  } finally {
    // The chunk read ahead is awaited even when the scan stops early or fails: a read left running
    // would fail on the closed image (IO_EBADF) with nobody to hear it.
    if (pending) await pending.then(
      () => undefined,
      () => undefined,
    );
  }
  return table;
}

/**
 * What every scan does with a chunk decoded on this thread: summarises records [first, first + count)
 * held in `bytes` (4-aligned) into the table, then settles the records the fast decoder declined.
 */
export async function decodeChunk(volume: NtfsVolume, table: RecordTable, bytes: Uint8Array, first: number, count: number, options: ScanOptions): Promise<void> {
  const size = volume.recordSize;
  const declined = summarizeChunk(table, bytes, first, count, size, options.names);
  const unallocated = options.deleted ? unallocatedAmong(declined, bytes, first, size) : [];
  await settleDeclined(volume, table, options.deleted, declined, unallocated);
}

/**
 * Records the fast decoder declined are marked for the full decoder; unallocated ones are decoded now
 * when deleted entries are wanted, as walk.ts scanUnallocated does (no attribute list, anomalies not
 * noted), a failure kept as that record's error.
 */
export async function settleDeclined(volume: NtfsVolume, table: RecordTable, deleted: boolean | undefined, declined: number[], unallocated: number[]): Promise<void> {
  for (const n of declined) table.state[n] = RecordState.slow;
  if (!deleted) return;
  for (const n of unallocated) {
    try {
      const record = volume.decodeRaw(await volume.mft.readRaw(n), n);
      storeSummary(table, n, record, true);
      if (record.baseRecordNumber === 0 && record.attributes.length > 0) table.bits[n] |= RecordBit.deletedCandidate;
    } catch (error) {
      table.state[n] = RecordState.error;
      table.errors.set(n, error as Error);
    }
  }
}

function copyInto(into: Uint8Array, chunk: Uint8Array): Uint8Array {
  into.set(chunk);
  return into.subarray(0, chunk.length);
}

/**
 * Resolves declined records through the full reader (readRecordBatch: fixups,
 * attribute list joined, anomalies noted), as the walk reads them; returns the records read.
 */
export async function resolveSlow(volume: NtfsVolume, table: RecordTable, recordNumbers: number[], names: boolean): Promise<Map<number, FileRecord | Error>> {
  const batch = await volume.readRecordBatch(recordNumbers, true);
  for (const [n, record] of batch) {
    if (record instanceof Error) {
      table.state[n] = RecordState.error;
      table.errors.set(n, record);
    } else storeSummary(table, n, record, names || !record.inUse);
  }
  return batch;
}


/** Writes summarize(record) into slot `n`. */
export function storeSummary(table: RecordTable, n: number, record: FileRecord, names: boolean): void {
  const inUse = record.inUse ? RecordBit.inUse : 0;
  storeFields(table, n, summarize(record), (table.bits[n] & RecordBit.deletedCandidate) | inUse, names);
  table.state[n] = RecordState.ready;
}

/**
 * Writes what a listing keeps of a record (`summarize()`'s fields, which a WalkEntry carries too)
 * into slot `n`; `bits` are the caller's state bits (in use, deleted candidate), `names` whether
 * its $FILE_NAMEs are collected.
 */
export function storeFields(table: RecordTable, n: number, s: ReturnType<typeof summarize>, bits: number, names: boolean): void {
  if (s.isDirectory) bits |= RecordBit.isDirectory;
  if (s.hasDefaultData) bits |= RecordBit.hasDefaultData;
  if (s.hasIndexRoot) bits |= RecordBit.hasIndexRoot;
  if (s.si) {
    bits |= RecordBit.hasSi;
    storeTimes(table.si, n * 8, s.si);
  }
  const pool = table.names;
  table.nameStart[n] = pool.length;
  if (names) {
    for (const fn of s.names) storeTimes(pool.times, pool.add(fn.name, namespaceCode(fn.namespace), fn.parentRecordNumber, fn.parentSequence, fn.dataSize) * 8, fn);
  }
  table.nameCount[n] = pool.length - table.nameStart[n];
  table.bits[n] = bits;
  table.type[n] = s.type === 'file' ? 0 : s.type === 'dir' ? 1 : s.type === 'link' ? 2 : 3;
  table.sequence[n] = s.sequence;
  table.size[n] = s.size;
  if (s.streams.length) table.streamMap.set(n, s.streams);
  else table.streamMap.delete(n);
  if (s.reparse) table.reparseMap.set(n, s.reparse);
}

/** The four FILETIMEs (created, modified, MFT modified, accessed) as low/high 32-bit halves at `at`. */
function storeTimes(target: Uint32Array, at: number, t: { created: bigint; modified: bigint; mftModified: bigint; accessed: bigint }): void {
  const times = [t.created, t.modified, t.mftModified, t.accessed];
  for (let k = 0; k < 4; k++) {
    target[at + k * 2] = Number(times[k] & 0xffffffffn);
    target[at + k * 2 + 1] = Number((times[k] >> 32n) & 0xffffffffn);
  }
}

