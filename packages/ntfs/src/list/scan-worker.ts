/**
 * Worker thread of the parallel $MFT scan (parallel-scan.ts): decodes the
 * chunks the main thread reads and posts (transferred buffers) into the
 * shared per-record arrays of the listing's RecordTable, with
 * summarizeChunk, and answers each chunk with what does not fit in shared
 * arrays: the chunk's $FILE_NAMEs (strings), named streams and declined
 * records. It imports only the decoder and the table (a small module graph:
 * the worker starts in a few milliseconds).
 *
 * Memory ordering: every chunk's writes are published by an Atomics.store of
 * the progress counter before the answer; the main thread Atomics.loads it
 * before reading the arrays (ECMAScript memory model: synchronizes-with).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { RecordTable, type RecordArrays } from './record-table.js';
import { summarizeChunk, unallocatedAmong } from './summarize-raw.js';
import { DirectoryAttributeStore, type DirectoryAttributeCopies } from './directory-attributes.js';

/** What the main thread sends at start (workerData). */
export interface ScanWorkerData {
  recordCount: number;
  recordSize: number;
  names: boolean;
  arrays: RecordArrays;
  /** Int32Array(1) on a SharedArrayBuffer: records summarised so far (in chunk order). */
  progress: Int32Array;
  /** The $MFT in a plain file: the worker reads the chunks it claims itself (file-worker-scan.ts). */
  file?: {
    path: string;
    perChunk: number;
    /** Per chunk: [file offset, offset in chunk, length] triples, flattened. */
    plans: number[][];
    /** Int32Array(1) on a SharedArrayBuffer: the next chunk to claim (Atomics.add). */
    next: Int32Array;
  };
}

/** One chunk to decode (its buffer transferred). */
export interface ScanChunk {
  first: number;
  count: number;
  buffer: ArrayBuffer;
}

/** The answer to a chunk (its buffer transferred back for the next read). */
export interface ScanChunkResult {
  first: number;
  count: number;
  /** The chunk's buffer, back for the next read (not in file mode). */
  buffer?: ArrayBuffer;
  /** Records summarizeChunk declined (state still `none`). */
  declined: number[];
  /** Of those, the ones not in use that start with FILE (deleted candidates for the full decoder). */
  unallocated: number[];
  /** The chunk's names: record i of the chunk with names has nameStart relative to these arrays. */
  names: string[];
  namespace: Uint8Array;
  parent: Float64Array;
  parentSequence: Uint16Array;
  dataSize: Float64Array;
  times: Uint32Array;
  streams: Array<[number, { name: string; size: number; kind: 'data' | 'index' }[]]>;
  /** The $I30 attributes of the chunk's in-use directories (DirectoryAttributeStore). */
  directories: DirectoryAttributeCopies;
}

/** Decodes `bytes` (records from `first`) and builds the answer. */
function decode(table: RecordTable, bytes: Uint8Array, first: number, count: number, data: ScanWorkerData): ScanChunkResult {
  const size = data.recordSize;
  const pool = table.names;
  pool.length = 0;
  pool.names.length = 0;
  table.streamMap.clear();
  table.directoryAttributes ??= new DirectoryAttributeStore();
  const declined = summarizeChunk(table, bytes, first, count, size, data.names);
  const unallocated = unallocatedAmong(declined, bytes, first, size);
  const k = pool.length;
  return {
    first,
    count,
    declined,
    unallocated,
    names: pool.names.slice(),
    namespace: pool.namespace.slice(0, k),
    parent: pool.parent.slice(0, k),
    parentSequence: pool.parentSequence.slice(0, k),
    dataSize: pool.dataSize.slice(0, k),
    times: pool.times.slice(0, k * 8),
    streams: [...table.streamMap],
    directories: table.directoryAttributes.export(),
  };
}

function run(data: ScanWorkerData): void {
  const port = parentPort!;
  const size = data.recordSize;
  const table = new RecordTable(data.recordCount, 1024, data.arrays);
  // Until this arrives the main thread decodes the chunks itself (a worker takes tens of ms to start).
  port.postMessage('ready');
  if (data.file) {
    // Kept alive (this listener) until the main thread terminates it: its answers are all delivered first.
    port.on('message', () => {});
    readFile(table, data, data.file);
    return;
  }
  port.on('message', (chunk: ScanChunk | null) => {
    if (!chunk) {
      port.close();
      return;
    }
    const result = decode(table, new Uint8Array(chunk.buffer, 0, chunk.count * size), chunk.first, chunk.count, data);
    result.buffer = chunk.buffer;
    Atomics.store(data.progress, 0, chunk.first + chunk.count);
    port.postMessage(result, [chunk.buffer]);
  });
}

/** File mode: claims chunks until none is left, reads each with readSync, answers each. */
function readFile(table: RecordTable, data: ScanWorkerData, file: NonNullable<ScanWorkerData['file']>): void {
  const port = parentPort!;
  const size = data.recordSize;
  const buffer = new Uint8Array(file.perChunk * size);
  const fd = openSync(file.path, 'r');
  try {
    for (;;) {
      const k = Atomics.add(file.next, 0, 1);
      if (k >= file.plans.length) break;
      const first = k * file.perChunk;
      const count = Math.min(file.perChunk, data.recordCount - first);
      const plan = file.plans[k];
      for (let e = 0; e < plan.length; e += 3) {
        let done = 0;
        const length = plan[e + 2];
        while (done < length) {
          const n = readSync(fd, buffer, plan[e + 1] + done, length - done, plan[e] + done);
          if (n <= 0) throw new Error(`${file.path}: short read at ${plan[e] + done}`);
          done += n;
        }
      }
      const result = decode(table, buffer.subarray(0, count * size), first, count, data);
      Atomics.store(data.progress, 0, first + count);
      port.postMessage(result);
    }
  } finally {
    closeSync(fd);
  }
}

if (parentPort && workerData?.arrays) run(workerData as ScanWorkerData);
