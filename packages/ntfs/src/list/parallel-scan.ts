/**
 * The $MFT scan of a listing, run beside the directory traversal; ensure(n)
 * waits until records below n are summarised, so the listing is the same
 * whatever the timing.
 *
 * - localScan (the default): scanMft on this thread, as a task: the listing
 *   runs while a chunk's read is awaited, and the other way round.
 * - a worker thread (`parallel: true`) decoding into the RecordTable's
 *   SharedArrayBuffer arrays: FileWorkerScan (file-worker-scan.ts) when the
 *   $MFT lies in a plain file (the worker reads its chunks itself), else
 *   WorkerScan below: this thread reads 1 MiB chunks (its ByteSource, any
 *   container) and transfers them to the worker (scan-worker.ts).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { NtfsVolume } from '../volume.js';
import type { RecordTable } from './record-table.js';
import { decodeChunk, scanMft, settleDeclined, tableFor, type ScanOptions } from './scan-mft.js';
import { MftScanReader } from './mft-reader.js';
import { applyWorkerNames } from './worker-result.js';
import type { ScanChunk, ScanChunkResult, ScanWorkerData } from './scan-worker.js';
import { FileWorkerScan } from './file-worker-scan.js';

/** Bytes per chunk (as scan-mft.ts); chunks in flight or waiting (buffers). */
const SCAN_BYTES = 1 << 20;
const BUFFERS = 8;

export interface MftScan {
  readonly table: RecordTable;
  /** 'worker' when a worker thread decodes the records. */
  readonly mode: 'worker' | 'local';
  /** Records [0, ready) are summarised. */
  readonly ready: number;
  /** Resolves once records [0, upTo) are summarised (throws what the scan threw). */
  ensure(upTo: number): Promise<void>;
  /**
   * Stops the scan (idempotent; listings that end early call it) and resolves once nothing it started
   * still reads: the caller may close the image then (a read left running fails on a closed file).
   */
  close(): Promise<void>;
}

/** The worker module beside this one, built (a .ts source run by a test runner finds its build in dist/). */
function workerFile(): string | null {
  const here = fileURLToPath(import.meta.url);
  const candidates = here.endsWith('.ts') ? [here.replace(/[/\\]src[/\\]list[/\\]parallel-scan\.ts$/, '/dist/list/scan-worker.js')] : [here.replace(/parallel-scan\.js$/, 'scan-worker.js')];
  for (const file of candidates) if (file !== here && existsSync(file)) return file;
  return null;
}

/** Test knobs of the worker scan. */
export interface WorkerTuning {
  /** Records per chunk (default 1 MiB worth). */
  chunkRecords?: number;
  /** Give every chunk to the worker (none decoded here while it starts): tests of the worker path. */
  workerOnly?: boolean;
  /** The main thread reads the chunks and posts them even when the worker could read the file itself. */
  mainReads?: boolean;
}

/**
 * Starts the scan. `parallel`: true runs the decoder in a worker (when its
 * built file is there), else here; chunks read while the worker starts are
 * decoded here.
 */
export function startScan(volume: NtfsVolume, options: ScanOptions, parallel?: boolean, tuning: WorkerTuning = {}): MftScan {
  const count = volume.mft.recordCount;
  // Off unless asked for: on this project's 2-core machines it has not yet measured faster (docs/formats/ntfs.md, listing speed).
  const file = parallel !== true || count < 1 || typeof SharedArrayBuffer === 'undefined' ? null : workerFile();
  if (!file) return localScan(volume, options);
  const perChunk = tuning.chunkRecords ?? Math.max(1, Math.floor(SCAN_BYTES / volume.recordSize));
  if (!tuning.mainReads) {
    // The $MFT in a plain file, every chunk mapped: the worker reads its chunks itself.
    const reader = new MftScanReader(volume.mft);
    const path = reader.filePath();
    const plans: number[][] = [];
    for (let first = 0; path && first < count; first += perChunk) {
      const plan = reader.plan(first, Math.min(perChunk, count - first));
      if (!plan) break;
      plans.push(plan.flat());
    }
    if (path && plans.length * perChunk >= count) return new FileWorkerScan(volume, options, file, path, perChunk, plans);
  }
  return new WorkerScan(volume, options, file, tuning);
}

/**
 * The scan on this thread, as a task beside the listing: the listing waits only for the records it is
 * about to show. A source read through the thread pool lets each run while the other waits for the
 * disk; a regular file is read with blocking preads (readIntoSync), and the two simply alternate.
 */
function localScan(volume: NtfsVolume, options: ScanOptions): MftScan {
  const table = tableFor(volume, options);
  let ready = 0;
  let failure: Error | null = null;
  let closed = false;
  let waiters: Array<{ upTo: number; resolve: () => void; reject: (error: Error) => void }> = [];
  const wake = (): void => {
    const still: typeof waiters = [];
    for (const w of waiters) {
      if (failure) w.reject(failure);
      else if (w.upTo <= ready) w.resolve();
      else still.push(w);
    }
    waiters = still;
  };
  const running = scanMft(volume, options, table, (upTo) => {
    ready = upTo;
    wake();
    return !closed;
  }).then(
    () => {
      if (closed) return;
      ready = table.recordCount;
      wake();
    },
    (error: Error) => {
      failure = error;
      wake();
    },
  );
  return {
    table,
    mode: 'local',
    get ready(): number {
      return ready;
    },
    ensure(upTo: number): Promise<void> {
      const target = Math.min(upTo, table.recordCount);
      if (failure) return Promise.reject(failure);
      if (target <= ready) return Promise.resolve();
      return new Promise((resolve, reject) => waiters.push({ upTo: target, resolve, reject }));
    },
    close: async () => {
      closed = true;
      await running;
    },
  };
}

class WorkerScan implements MftScan {
  readonly table: RecordTable;
  readonly mode = 'worker' as const;
  ready = 0;
  private failure: Error | null = null;
  private waiters: Array<{ upTo: number; resolve: () => void; reject: (error: Error) => void }> = [];
  private readonly free: ArrayBuffer[] = [];
  private bufferWaiter: (() => void) | null = null;
  private readonly progress = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private readonly perChunk: number;
  /** The worker is gone (done, closed, or failed: the main thread finishes the scan). */
  private stopped = false;
  private local = false;
  private closed = false;
  /** The worker has started (its 'ready' message): chunks read from then on go to it. */
  private workerReady = false;
  /** Answers are applied one after the other (a declined deleted record needs a read). */
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly volume: NtfsVolume, private readonly options: ScanOptions, file: string, private readonly tuning: WorkerTuning) {
    const count = volume.mft.recordCount;
    // Directory attributes: from the chunks decoded here and the worker's answers (applyWorkerNames).
    this.table = tableFor(volume, options, true);
    const data: ScanWorkerData = { recordCount: count, recordSize: volume.recordSize, names: options.names, arrays: this.table.arrays(), progress: this.progress };
    this.worker = new Worker(file, { workerData: data });
    // Referenced only while a caller waits (a listing dropped half-way must not keep the process alive).
    this.worker.unref();
    this.worker.on('message', (result: ScanChunkResult | 'ready') => {
      if (result === 'ready') {
        this.workerReady = true;
        return;
      }
      if (this.local) return;
      this.applying = this.applying.then(() => this.apply(result)).catch((error: Error) => this.switchToLocal(error));
    });
    this.worker.on('error', (error) => this.switchToLocal(error));
    this.worker.on('exit', (code) => {
      if (!this.stopped) this.switchToLocal(new Error(`MFT scan worker exited (${code}) at record ${this.ready}`));
    });
    this.perChunk = tuning.chunkRecords ?? Math.max(1, Math.floor(SCAN_BYTES / volume.recordSize));
    for (let i = 0; i < BUFFERS; i++) this.free.push(new ArrayBuffer(Math.min(this.perChunk, Math.max(1, count)) * volume.recordSize));
    this.reading = this.readAll().catch((error: Error) => this.setFailure(error));
  }

  /** The reads this thread runs (readAll, then scanLocally if the worker failed): awaited by close(). */
  private reading: Promise<void>;

  /** Reads the chunks in order, each into a free buffer, and hands them to the worker. */
  private async readAll(): Promise<void> {
    const reader = new MftScanReader(this.volume.mft);
    const count = this.table.recordCount;
    const size = this.volume.recordSize;
    for (let first = 0; first < count; first += this.perChunk) {
      while (!this.free.length && !this.stopped) await new Promise<void>((resolve) => (this.bufferWaiter = resolve));
      if (this.stopped) return;
      const buffer = this.free.pop()!;
      const n = Math.min(this.perChunk, count - first);
      const into = new Uint8Array(buffer, 0, n * size);
      const bytes = await reader.read(first, n, into);
      if (this.stopped) return;
      if (bytes !== into) into.set(bytes);
      if (!this.workerReady && !this.tuning.workerOnly) {
        // The worker is still starting: this chunk is decoded here (chunks stay in order: none is with the worker yet).
        await decodeChunk(this.volume, this.table, into, first, n, this.options);
        this.free.push(buffer);
        this.ready = first + n;
        if (this.ready >= count) this.stop();
        this.wake();
        continue;
      }
      const chunk: ScanChunk = { first, count: n, buffer };
      this.worker.postMessage(chunk, [buffer]);
    }
  }

  /** Applies a chunk's answer: names, streams, declined records; then wakes the waiters. */
  private async apply(result: ScanChunkResult): Promise<void> {
    Atomics.load(this.progress, 0);
    const t = this.table;
    this.free.push(result.buffer!);
    this.wakeReader();
    applyWorkerNames(t, result);
    await this.declined(result.declined, result.unallocated);
    this.ready = result.first + result.count;
    if (this.ready >= t.recordCount) this.stop();
    this.wake();
  }

  private declined(declined: number[], unallocated: number[]): Promise<void> {
    return settleDeclined(this.volume, this.table, this.options.deleted, declined, unallocated);
  }

  /** The worker failed: the main thread summarises the records from `ready` on (same decoder, same table). */
  private switchToLocal(_error: Error): void {
    if (this.local || this.failure || this.ready >= this.table.recordCount) return;
    this.local = true;
    this.stop();
    const previous = this.reading;
    this.reading = this.applying
      .catch(() => {})
      .then(() => this.scanLocally())
      .catch((error: Error) => this.setFailure(error))
      .then(() => previous);
  }

  private async scanLocally(): Promise<void> {
    const t = this.table;
    const size = this.volume.recordSize;
    const reader = new MftScanReader(this.volume.mft);
    const buffer = new Uint8Array(this.perChunk * size);
    for (let first = this.ready; first < t.recordCount; first += this.perChunk) {
      const n = Math.min(this.perChunk, t.recordCount - first);
      const into = buffer.subarray(0, n * size);
      let bytes = await reader.read(first, n, into);
      if (this.closed) return;
      if (bytes !== into) {
        into.set(bytes);
        bytes = into;
      }
      await decodeChunk(this.volume, t, bytes, first, n, this.options);
      this.ready = first + n;
      this.wake();
    }
  }

  private setFailure(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.stop();
    this.wake();
  }

  private wakeReader(): void {
    const resolve = this.bufferWaiter;
    this.bufferWaiter = null;
    resolve?.();
  }

  private wake(): void {
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (this.failure) w.reject(this.failure);
      else if (w.upTo <= this.ready) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
    if (!still.length) this.worker.unref();
  }

  ensure(upTo: number): Promise<void> {
    const target = Math.min(upTo, this.table.recordCount);
    if (this.failure) return Promise.reject(this.failure);
    if (target <= this.ready) return Promise.resolve();
    if (!this.stopped) this.worker.ref();
    return new Promise((resolve, reject) => this.waiters.push({ upTo: target, resolve, reject }));
  }

  /** Ends the worker (the scan is complete, failed, or no longer wanted). */
  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.wakeReader();
    this.worker.postMessage(null);
    void this.worker.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stop();
    // Settled, never rejected: a chunk's read in flight, the answers being applied (declined records read).
    await Promise.allSettled([this.reading, this.applying, this.worker.terminate()]);
  }
}
