/**
 * One machine: the planned images on piscina worker threads (default one per core), at most `jobs`
 * at a time. Images are handed out one by one, so an abort (SIGINT/SIGTERM in the CLI) stops handing
 * out and waits for the images in flight: each finishes or rolls itself back (a repair rolls back on
 * any error before returning), none is left half-written. One image's failure never stops the others.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { OpenImageOptions } from '@coldfix/volumes';
import { keyError } from './key-error.js';
import { withKeyAfter, type PlannedEntry } from './plan.js';
import type { BatchTask, ManifestEntry, ResultLine, SharedTaskOptions } from './types.js';

export interface LocalRunOptions {
  /** Worker threads (default: the number of cores). */
  jobs?: number;
  /** The worker module (default: this package's dist/worker.js; a bundle gives its own). */
  workerFile?: string;
  /** Stops handing out images; those in flight finish. */
  signal?: AbortSignal;
  /** Keys for one image (from its manifest keys file and the command's key options); resolved in this thread. */
  keysFor?: (entry: ManifestEntry) => Promise<OpenImageOptions['keys']>;
  onStart?: (planned: PlannedEntry) => void;
  /** Called as each image ends (before the next result is delivered: awaited, so a results file stays in order). */
  onResult?: (line: ResultLine, planned: PlannedEntry) => void | Promise<void>;
}

export interface LocalRunSummary {
  results: ResultLine[];
  /** Images never started because of the abort. */
  notStarted: PlannedEntry[];
}

export async function runLocal(planned: PlannedEntry[], options: SharedTaskOptions, run: LocalRunOptions = {}): Promise<LocalRunSummary> {
  const todo = planned.filter((p) => !p.skip);
  const jobs = Math.max(1, Math.min(run.jobs ?? availableParallelism(), todo.length || 1));
  const pool = createTaskPool(jobs, run.workerFile);
  const results: ResultLine[] = [];
  let next = 0;
  const lane = async () => {
    while (next < todo.length && !run.signal?.aborted) {
      const item = todo[next++];
      run.onStart?.(item);
      const keys = await (run.keysFor?.(item.entry) ?? Promise.resolve(undefined)).catch((error: unknown) => error);
      let line: ResultLine;
      if (keys instanceof Error) {
        line = keyError(item, keys);
      } else {
        // A worker thread that dies (out of memory, a crash in native code) rejects its task: that image
        // gets an internal (not final) error line and the other images go on.
        const ran = await pool.run({ key: item.key, entry: item.entry, options, ...(keys ? { keys } : {}) }).catch((error: unknown) => error as Error);
        line = ran instanceof Error ? keyError(item, ran) : await withKeyAfter(ran, item.entry, options);
      }
      results.push(line);
      await run.onResult?.(line, item);
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, lane));
  } finally {
    await pool.destroy();
  }
  return { results, notStarted: todo.slice(next) };
}

/** The piscina pool images run on (also under the queue worker, whose event loop must stay free to renew job locks). */
export function createTaskPool(jobs: number, workerFile?: string): Piscina<BatchTask, ResultLine> {
  return new Piscina<BatchTask, ResultLine>({
    filename: workerFile ?? new URL('./worker.js', import.meta.url).href,
    minThreads: 1,
    maxThreads: jobs,
    // Repairs are I/O and CPU bound for seconds; one task per thread at a time.
    concurrentTasksPerWorker: 1,
  });
}
