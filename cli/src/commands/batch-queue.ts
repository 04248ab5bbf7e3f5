/** `coldfix batch --queue redis://…`: enqueue on BullMQ and follow (packages/batch/src/queue.ts). */
import type { PlannedEntry, ResultLine, SharedTaskOptions } from '@coldfix/batch';

export async function runOnQueue(
  url: string,
  name: string,
  planned: PlannedEntry[],
  shared: SharedTaskOptions,
  run: { signal: AbortSignal; onResult: (line: ResultLine) => Promise<void> },
): Promise<PlannedEntry[]> {
  const { enqueueAndFollow } = await import('@coldfix/batch/queue');
  return enqueueAndFollow(url, name, planned, shared, { signal: run.signal, onResult: run.onResult });
}
