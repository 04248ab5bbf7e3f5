/** The end-of-batch summary: counts per result, skips, and each failure with its typed error. */
import type { PlannedEntry } from './plan.js';
import type { ResultLine } from './types.js';

export interface BatchSummary {
  images: number;
  /** Images finished by this run, by result word (repaired, clean, affected, refused, failed, inconsistent, info, error). */
  results: Record<string, number>;
  /** Not run: already final in the results file, a shared parent, or never started because of an interrupt. */
  skipped: { resumed: number; sharedParent: number; notStarted: number };
  failures: { image: string; result: string; error?: ResultLine['error']; messages?: string[] }[];
  bytesRead: number;
  seconds: number;
  interrupted: boolean;
}

export function summarise(planned: PlannedEntry[], results: ResultLine[], notStarted: number, seconds: number, interrupted: boolean): BatchSummary {
  const counts: Record<string, number> = {};
  const failures: BatchSummary['failures'] = [];
  let bytesRead = 0;
  for (const r of results) {
    counts[r.result] = (counts[r.result] ?? 0) + 1;
    bytesRead += r.bytesRead;
    if (r.result === 'error') failures.push({ image: r.image, result: r.result, error: r.error });
    else if (r.result === 'failed' || r.result === 'refused' || r.result === 'inconsistent') {
      const messages = (r.report as { messages?: string[]; details?: string[] } | undefined);
      failures.push({ image: r.image, result: r.result, messages: messages?.messages ?? messages?.details ?? [] });
    }
  }
  return {
    images: planned.length,
    results: counts,
    skipped: { resumed: planned.filter((p) => p.skip === 'resumed').length, sharedParent: planned.filter((p) => p.skip === 'shared-parent').length, notStarted },
    failures,
    bytesRead,
    seconds,
    interrupted,
  };
}
