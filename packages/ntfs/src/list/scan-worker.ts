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
import { parentPort, workerData } from 'node:worker_threads';
import { RecordTable, type RecordArrays } from './record-table.js';
import { isFileRecord, summarizeChunk } from './summarize-raw.js';

/** What the main thread sends at start (workerData). */
export interface ScanWorkerData {
  recordCount: number;
  recordSize: number;
  names: boolean;
  arrays: RecordArrays;
  /** Int32Array(1) on a SharedArrayBuffer: records summarised so far (in chunk order). */
  progress: Int32Array;
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
  buffer: ArrayBuffer;
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
}

function run(data: ScanWorkerData): void {
  const port = parentPort!;
  const size = data.recordSize;
  const table = new RecordTable(data.recordCount, 1024, data.arrays);
  const pool = table.names;
  // Until this arrives the main thread decodes the chunks itself (a worker takes tens of ms to start).
  port.postMessage('ready');
  port.on('message', (chunk: ScanChunk | null) => {
    if (!chunk) {
      port.close();
      return;
    }
    pool.length = 0;
    pool.names.length = 0;
    table.streamMap.clear();
    const bytes = new Uint8Array(chunk.buffer, 0, chunk.count * size);
    const declined = summarizeChunk(table, bytes, chunk.first, chunk.count, size, data.names);
    const unallocated: number[] = [];
    for (const n of declined) {
      const at = (n - chunk.first) * size;
      if ((bytes[at + 0x16] & 1) === 0 && isFileRecord(bytes, at)) unallocated.push(n);
    }
    const k = pool.length;
    const result: ScanChunkResult = {
      first: chunk.first,
      count: chunk.count,
      buffer: chunk.buffer,
      declined,
      unallocated,
      names: pool.names,
      namespace: pool.namespace.slice(0, k),
      parent: pool.parent.slice(0, k),
      parentSequence: pool.parentSequence.slice(0, k),
      dataSize: pool.dataSize.slice(0, k),
      times: pool.times.slice(0, k * 8),
      streams: [...table.streamMap],
    };
    Atomics.store(data.progress, 0, chunk.first + chunk.count);
    port.postMessage(result, [chunk.buffer]);
  });
}

if (parentPort && workerData?.arrays) run(workerData as ScanWorkerData);
