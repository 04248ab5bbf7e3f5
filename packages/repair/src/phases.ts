/**
 * Phase marks for profiling a repair (`performance.getEntriesByType('mark')`, names `repair:*`):
 * where the in-process time goes, without a profiler. Only the last repair's marks are kept, so that a
 * long-running process (`coldfix batch`) does not collect them without bound.
 */
import { performance } from 'node:perf_hooks';

const names = new Set<string>();

/** Marks the start of phase `name` (as `repair:<name>`). */
export function phase(name: string): void {
  const full = `repair:${name}`;
  names.add(full);
  performance.mark(full);
}

/** Drops the marks of earlier repairs. */
export function clearPhases(): void {
  for (const name of names) performance.clearMarks(name);
}
