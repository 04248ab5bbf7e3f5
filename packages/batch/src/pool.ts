/**
 * Repairs many images in parallel on worker threads (piscina). Each image is one
 * task; results are delivered as they finish, so a batch over a snapshot
 * library streams its reports. A failure on one image never stops the others.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { RepairOptions } from '@coldfix/repair';
import type { BatchOutcome, BatchTask } from './types.js';

export interface BatchOptions {
  /** Worker threads (default: the number of cores). */
  jobs?: number;
  /** Called for each image as soon as its repair ends. */
  onOutcome?: (outcome: BatchOutcome) => void;
}

export async function runBatch(images: string[], options: RepairOptions, batch: BatchOptions = {}): Promise<BatchOutcome[]> {
  const jobs = Math.max(1, Math.min(batch.jobs ?? availableParallelism(), images.length || 1));
  const pool = new Piscina<BatchTask, BatchOutcome>({
    filename: new URL('./worker.js', import.meta.url).href,
    minThreads: 1,
    maxThreads: jobs,
    // Repairs are I/O and CPU bound for seconds; one task per thread at a time.
    concurrentTasksPerWorker: 1,
  });
  try {
    return await Promise.all(
      images.map(async (image) => {
        const outcome = await pool.run({ image, options });
        batch.onOutcome?.(outcome);
        return outcome;
      }),
    );
  } finally {
    await pool.destroy();
  }
}
