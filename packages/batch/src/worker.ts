/** The piscina worker: one image per task; the result (errors serialised) goes back as a ResultLine. */
import { runTask } from './run-task.js';
import type { BatchTask, ResultLine } from './types.js';

export default function runBatchTask(task: BatchTask): Promise<ResultLine> {
  return runTask(task);
}
