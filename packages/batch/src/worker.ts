/** The piscina worker: one repair per task, errors serialised for the trip back. */
import { isColdfixError } from '@coldfix/io';
import { repairImage } from '@coldfix/repair';
import type { BatchOutcome, BatchTask } from './types.js';

export default async function runTask(task: BatchTask): Promise<BatchOutcome> {
  try {
    return { image: task.image, ok: true, report: await repairImage(task.image, task.options) };
  } catch (error) {
    return {
      image: task.image,
      ok: false,
      error: isColdfixError(error) ? error.toJSON() : { kind: 'internal', message: error instanceof Error ? error.stack ?? error.message : String(error) },
    };
  }
}
