/**
 * Bounded concurrency for async work over a list, and "wait for every promise,
 * then pass on the first error". One place for what was three private pools and
 * two inline copies (repair scan, quarantine and gates; ntfs scattered record reads).
 *
 * Every helper here settles everything it started before it returns or throws:
 * no task is left running behind the caller's back (a caller may close the file
 * or journal the tasks use as soon as the helper returns), and no rejection is
 * left unhandled.
 */

/** The pool's size: a whole number ≥ 1 (Infinity allowed: one task per item). */
function workerCount(limit: number, items: number): number {
  if (!(limit >= 1) || (Number.isFinite(limit) && !Number.isInteger(limit))) throw new RangeError(`concurrency limit must be a whole number >= 1, not ${limit}`);
  return Math.min(limit, items);
}

/**
 * Runs `task` over `items`, at most `limit` at once, items started in order; the results in the
 * order of `items` (not of completion).
 *
 * On the first error (the first to happen in time) no further item is started; the tasks already
 * running are awaited (their results or errors dropped), then that first error is thrown. So when
 * this rejects, nothing it started is still running.
 * @throws the first error a task threw; RangeError when `limit` is not a whole number ≥ 1.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let failure: { error: unknown } | null = null;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        out[i] = await task(items[i], i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: workerCount(limit, items.length) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
  return out;
}

/**
 * Runs `task` over every item, at most `limit` at once, items started in order; each item's outcome
 * (as Promise.allSettled gives it) in the order of `items`. An error stops nothing: every item runs.
 * Never rejects (except RangeError when `limit` is not a whole number ≥ 1).
 */
export async function mapLimitSettled<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out = new Array<PromiseSettledResult<R>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { status: 'fulfilled', value: await task(items[i], i) };
      } catch (reason) {
        out[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: workerCount(limit, items.length) }, worker));
  return out;
}

/**
 * Like Promise.all, but waits for every promise to settle before passing on an error: then throws
 * the error of the first rejected promise in the order given (not the first to reject in time).
 * The values, in order, when all fulfil.
 * @throws the reason of the first rejected promise, in array order.
 */
export async function allSettledOrThrow<T extends readonly unknown[]>(promises: readonly [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const results = await Promise.allSettled(promises as readonly Promise<unknown>[]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
