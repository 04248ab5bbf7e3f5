import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allSettledOrThrow, mapLimit, mapLimitSettled } from './concurrency.js';

/** A promise settled from outside, to order completions by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Counts tasks running at once; tasks finish in the order `delays` says (ms). */
function tracked(delays: number[]): { task: (ms: number, i: number) => Promise<number>; peak: () => number; started: number[]; finished: number[] } {
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const finished: number[] = [];
  return {
    started,
    finished,
    peak: () => peak,
    task: async (ms, i) => {
      started.push(i);
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      finished.push(i);
      return i * 10;
    },
  };
}

// A rejection nobody handles fails here rather than passing unseen (vitest would only warn after the run).
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 20));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('mapLimit', () => {
  it('keeps the order of the items whatever the order of completion, and never runs more than the limit', async () => {
    const delays = [30, 1, 20, 5, 1, 15, 2, 8, 1, 3];
    const t = tracked(delays);
    const out = await mapLimit(delays, 3, t.task);
    expect(out).toEqual(delays.map((_, i) => i * 10));
    expect(t.peak()).toBe(3);
    expect(t.started).toEqual(delays.map((_, i) => i)); // started in item order
    expect(t.finished).not.toEqual(t.started); // completions did come out of order
  });

  it('handles an empty list, a limit above the count and Infinity', async () => {
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
    const t = tracked([1, 1]);
    expect(await mapLimit([1, 1], 8, t.task)).toEqual([0, 10]);
    expect(t.peak()).toBe(2);
    expect(await mapLimit([1, 2, 3], Infinity, async (x) => x * 2)).toEqual([2, 4, 6]);
  });

  it('refuses a limit that is not a whole number >= 1', async () => {
    for (const bad of [0, -1, 1.5, NaN]) await expect(mapLimit([1], bad, async (x) => x)).rejects.toThrow(RangeError);
  });

  it('on the first error starts nothing more, waits for the running tasks, then throws that first error', async () => {
    const gates = [deferred<void>(), deferred<void>(), deferred<void>()];
    const started: number[] = [];
    const finished: number[] = [];
    let settled = false;
    const run = mapLimit([0, 1, 2, 3, 4, 5], 3, async (i) => {
      started.push(i);
      await gates[i].promise;
      finished.push(i);
      if (i === 1) throw new Error('first');
      if (i === 2) throw new Error('second');
      return i;
    }).finally(() => {
      settled = true;
    });
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[1].resolve(); // item 1 fails while 0 and 2 still run
    await tick();
    expect(settled).toBe(false); // still waiting for 0 and 2
    gates[2].resolve(); // a later error: dropped
    await tick();
    expect(settled).toBe(false);
    gates[0].resolve();
    await expect(run).rejects.toThrow('first');
    expect(started).toEqual([0, 1, 2]); // 3, 4, 5 never started
    expect(finished.sort()).toEqual([0, 1, 2]); // nothing left running
  });

  it('passes each item its index', async () => {
    expect(await mapLimit(['a', 'b', 'c'], 2, async (x, i) => `${x}${i}`)).toEqual(['a0', 'b1', 'c2']);
  });
});

describe('mapLimitSettled', () => {
  it('runs every item despite errors, at most the limit at once; each outcome in item order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimitSettled([5, 1, 4, 2, 3, 1, 2], 2, async (ms, i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      if (i % 3 === 0) throw new Error(`e${i}`);
      return i;
    });
    expect(peak).toBe(2);
    expect(out.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['e0', 1, 2, 'e3', 4, 5, 'e6']);
  });

  it('keeps a thrown non-Error as the reason', async () => {
    const [r] = await mapLimitSettled([1], 1, async () => {
      throw 'text';
    });
    expect(r).toEqual({ status: 'rejected', reason: 'text' });
  });
});

describe('allSettledOrThrow', () => {
  it('gives the values in order (tuple types kept)', async () => {
    const [a, b] = await allSettledOrThrow([Promise.resolve(1), Promise.resolve('x')]);
    const sum: number = a + 1;
    const text: string = b.toUpperCase();
    expect([sum, text]).toEqual([2, 'X']);
  });

  it('waits for every promise before throwing, and throws the first rejection in array order', async () => {
    const slow = deferred<number>();
    const later = deferred<number>();
    let settled = false;
    const run = allSettledOrThrow([slow.promise, later.promise, Promise.reject(new Error('third'))]).finally(() => {
      settled = true;
    });
    later.reject(new Error('second'));
    await tick();
    expect(settled).toBe(false); // `slow` has not settled yet
    slow.resolve(1);
    await expect(run).rejects.toThrow('second'); // array order, not time order (third rejected first)
  });
});
