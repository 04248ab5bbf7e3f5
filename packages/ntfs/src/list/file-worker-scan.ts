/**
 * The worker scan when the $MFT lies in a plain file (a raw image or a file
 * source, every chunk mapped to file extents by the $MFT runlist): the worker
 * reads its chunks itself (readSync on its own descriptor) instead of waiting
 * for the main thread to read and post them, which a busy main thread did
 * late. Chunks are claimed with Atomics.add on a shared counter, by the
 * worker and by the main thread whenever it would otherwise wait for a record
 * (so the worker's start-up costs nothing); ready advances over chunks done,
 * in order. A worker that fails leaves its unanswered chunks to the main
 * thread. Same table, same answers as parallel-scan.ts's WorkerScan.
 */
import { Worker } from 'node:worker_threads';
import type { NtfsVolume } from '../volume.js';
import type { RecordTable } from './record-table.js';
import { decodeChunk, settleDeclined, tableFor, type ScanOptions } from './scan-mft.js';
import { MftScanReader } from './mft-reader.js';
import { applyWorkerNames } from './worker-result.js';
import type { MftScan } from './parallel-scan.js';
import type { ScanChunkResult, ScanWorkerData } from './scan-worker.js';

export class FileWorkerScan implements MftScan {
  readonly table: RecordTable;
  readonly mode = 'worker' as const;
  ready = 0;
  private readonly chunks: number;
  private readonly done: Uint8Array;
  private doneUpTo = 0;
  private readonly next = new Int32Array(new SharedArrayBuffer(4));
  private readonly progress = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private failure: Error | null = null;
  private workerGone = false;
  private closed = false;
  private waiters: Array<{ upTo: number; resolve: () => void; reject: (error: Error) => void }> = [];
  private applying: Promise<void> = Promise.resolve();
  /** The main thread is decoding a chunk (one at a time). */
  private helping = false;
  private localBuffer: Uint8Array | null = null;

  /** `plans[k]`: chunk k's [file offset, offset in chunk, length] triples, flattened. */
  constructor(private readonly volume: NtfsVolume, private readonly options: ScanOptions, workerFile: string, path: string, private readonly perChunk: number, plans: number[][]) {
    const count = volume.mft.recordCount;
    // Directory attributes: from the chunks decoded here and the worker's answers (applyWorkerNames).
    this.table = tableFor(volume, options, true);
    this.chunks = plans.length;
    this.done = new Uint8Array(this.chunks);
    const data: ScanWorkerData = {
      recordCount: count, recordSize: volume.recordSize, names: options.names, arrays: this.table.arrays(), progress: this.progress,
      file: { path, perChunk, plans, next: this.next },
    };
    this.worker = new Worker(workerFile, { workerData: data });
    this.worker.unref();
    this.worker.on('message', (result: ScanChunkResult | 'ready') => {
      if (result === 'ready' || this.workerGone) return;
      this.applying = this.applying.then(() => this.apply(result)).catch((error: Error) => this.workerFailed(error));
    });
    this.worker.on('error', (error) => this.workerFailed(error));
    this.worker.on('exit', () => {
      if (this.doneUpTo < this.chunks) this.workerFailed(new Error('MFT scan worker ended early'));
    });
  }

  private async apply(result: ScanChunkResult): Promise<void> {
    Atomics.load(this.progress, 0);
    const t = this.table;
    applyWorkerNames(t, result);
    await this.declined(result.declined, result.unallocated);
    this.finish(Math.floor(result.first / this.perChunk));
  }

  private declined(declined: number[], unallocated: number[]): Promise<void> {
    return settleDeclined(this.volume, this.table, this.options.deleted, declined, unallocated);
  }

  private finish(k: number): void {
    if (this.done[k]) return;
    this.done[k] = 1;
    while (this.doneUpTo < this.chunks && this.done[this.doneUpTo]) this.doneUpTo++;
    this.ready = Math.min(this.table.recordCount, this.doneUpTo * this.perChunk);
    if (this.doneUpTo >= this.chunks) this.stopWorker();
    this.wake();
  }

  /** Decodes chunk k here (through the volume's ByteSource, as scanMft). */
  private async decodeHere(k: number): Promise<void> {
    const t = this.table;
    const size = this.volume.recordSize;
    const first = k * this.perChunk;
    const n = Math.min(this.perChunk, t.recordCount - first);
    this.localBuffer ??= new Uint8Array(this.perChunk * size);
    const into = this.localBuffer.subarray(0, n * size);
    let bytes = await new MftScanReader(this.volume.mft).read(first, n, into);
    if (bytes !== into) {
      into.set(bytes);
      bytes = into;
    }
    await decodeChunk(this.volume, t, bytes, first, n, this.options);
    this.finish(k);
  }

  /** While someone waits: claim the next chunk nobody took (or, the worker gone, the first not done) and decode it here. */
  private help(): void {
    if (this.helping || this.closed || this.failure || !this.waiters.length) return;
    let k: number;
    if (this.workerGone) {
      k = this.doneUpTo;
      while (k < this.chunks && this.done[k]) k++;
    } else k = Atomics.add(this.next, 0, 1);
    if (k >= this.chunks) return;
    this.helping = true;
    this.applying = this.applying
      .then(() => this.decodeHere(k))
      .catch((error: Error) => this.setFailure(error))
      .finally(() => {
        this.helping = false;
        this.help();
      });
  }

  /** The worker failed: once its thread has stopped (no late writes), the main thread does every chunk not done. */
  private workerFailed(_error: Error): void {
    if (this.workerGone) return;
    this.workerGone = true;
    void this.worker.terminate().finally(() => this.help());
  }

  private setFailure(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.stopWorker();
    this.wake();
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
    if (!this.workerGone) this.worker.ref();
    const waiting = new Promise<void>((resolve, reject) => this.waiters.push({ upTo: target, resolve, reject }));
    this.help();
    return waiting;
  }

  private stopWorker(): void {
    if (this.workerGone) return;
    this.workerGone = true;
    void this.worker.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopWorker();
    // A chunk decoded here reads through the volume's source: it must end before the image is closed.
    await Promise.allSettled([this.applying, this.worker.terminate()]);
  }
}
