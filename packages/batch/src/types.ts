import type { SerializedColdfixError } from '@coldfix/io';
import type { RepairOptions, RepairReport } from '@coldfix/repair';

/** One image of a batch; options must be structured-cloneable (they cross into a worker thread). */
export interface BatchTask {
  image: string;
  options: RepairOptions;
}

/**
 * What comes back from a worker. Errors travel as JSON: a custom Error sent
 * through postMessage arrives on Node 20 as a plain Error without its class,
 * code or details, so the worker serialises and the pool rebuilds it.
 */
export type BatchOutcome =
  | { image: string; ok: true; report: RepairReport }
  | { image: string; ok: false; error: SerializedColdfixError | { kind: 'internal'; message: string } };
