/**
 * Oracle and fixture gates for the tests (docs/testing.md). A check that needs an independent tool, the
 * real fixtures (../shared/fixtures/real beside the repository), a loop device or the native addon is
 * registered at collection time with one of these helpers, so it either runs and can fail, or is reported
 * as skipped with the reason in its title. Under `COLDFIX_REQUIRE_ORACLES=1` (scripts/test.sh, the official
 * run) a missing condition makes the test FAIL with the reason instead of skipping.
 *
 *   import { itWith, missingTools } from '@coldfix/test-support';
 *   itWith(missingTools('usnjls'))('usnjls reads the appended records', async () => { … }, 60_000);
 *   describeWith(missingFixtures('fox-it-dissect.fve'))('real BitLocker volumes', () => { … });
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';
import { realFixturesDir } from '../test-images/src/real-fixtures.js';

/** True in the official run (scripts/test.sh): missing oracles fail instead of skipping. */
export const oraclesRequired = process.env.COLDFIX_REQUIRE_ORACLES === '1';

/** A reason a check cannot run (shown in the test title), or undefined when it can. */
export type Gate = string | undefined | false | null;

const toolCache = new Map<string, boolean>();

/** True when `tool` is an executable file on $PATH (no shell involved). */
export function hasTool(tool: string): boolean {
  let known = toolCache.get(tool);
  if (known === undefined) {
    known = (process.env.PATH ?? '').split(delimiter).some((dir) => {
      if (!dir) return false;
      try {
        accessSync(join(dir, tool), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    toolCache.set(tool, known);
  }
  return known;
}

/** Reason naming the tools that are not installed (scripts/install-deps.sh installs them all), or undefined. */
export function missingTools(...tools: string[]): string | undefined {
  const absent = tools.filter((t) => !hasTool(t));
  return absent.length ? `not installed: ${absent.join(', ')}` : undefined;
}

/** Reason when ../shared/fixtures/real (or a folder/file under it) is absent, or undefined. */
export function missingFixtures(...within: string[]): string | undefined {
  const dir = realFixturesDir();
  const wanted = within.length ? within.map((w) => join(dir, w)) : [dir];
  const absent = wanted.filter((p) => !existsSync(p));
  return absent.length ? `real fixtures absent: ${absent.join(', ')} (expected at ../shared/fixtures/real beside the repository)` : undefined;
}

let loopReason: string | undefined | null = null;
/** Reason a loop device cannot be attached here (not root, no /dev/loop-control, losetup failing), or undefined. */
export function missingLoopDevice(): string | undefined {
  if (loopReason !== null) return loopReason;
  if (process.getuid?.() !== 0) loopReason = 'loop devices need root';
  else if (!hasTool('losetup')) loopReason = 'not installed: losetup';
  else if (!existsSync('/dev/loop-control')) loopReason = 'no /dev/loop-control (no loop device support)';
  else {
    const r = spawnSync('losetup', ['--find'], { encoding: 'utf8' });
    loopReason = r.status === 0 && r.stdout.trim() ? undefined : `losetup --find failed: ${(r.stderr ?? '').trim() || `exit ${r.status}`}`;
  }
  return loopReason;
}

/** Reason when the process runs as root (a permission-denied check cannot be made as root), or undefined. */
export function runningAsRoot(): string | undefined {
  return process.getuid?.() === 0 ? 'permissions are not enforced for root' : undefined;
}

/** The first reason among several gates (joined when several hold), or undefined. */
export function whyNot(...gates: Gate[]): string | undefined {
  const reasons = gates.filter((g): g is string => typeof g === 'string' && g.length > 0);
  return reasons.length ? reasons.join('; ') : undefined;
}

/** The failure the official run reports for a missing oracle. */
export function oracleMissingError(reason: string): Error {
  return new Error(`COLDFIX_REQUIRE_ORACLES=1 and a required oracle is missing: ${reason}`);
}

type Body = Parameters<typeof it>[1];
type Options = { timeout?: number; retry?: number; concurrent?: boolean; sequential?: boolean };

/**
 * `it` when nothing is missing; else a skipped test titled "… (skipped: reason)"; in the official run a
 * test that fails with the reason. Decided at collection time. Call as `(title, fn, timeout?)`.
 */
export function itWith(...gates: Gate[]) {
  const reason = whyNot(...gates);
  return (title: string, fn: Body, timeout?: number | Options): void => {
    if (!reason) it(title, fn, timeout as number);
    else if (oraclesRequired)
      it(`${title} (required: ${reason})`, () => {
        throw oracleMissingError(reason);
      });
    else it.skip(`${title} (skipped: ${reason})`, fn, timeout as number);
  };
}

/**
 * `describe` with the same rule as {@link itWith}; when something is missing no test body is run.
 * Call as `(title, fn)` or `(title, options, fn)`.
 */
export function describeWith(...gates: Gate[]) {
  const reason = whyNot(...gates);
  return (title: string, a: Options | (() => void), b?: () => void): void => {
    const fn = (typeof a === 'function' ? a : b)!;
    const options = typeof a === 'function' ? {} : a;
    if (!reason) describe(title, options, fn);
    else if (oraclesRequired)
      describe(title, () => {
        it(`(required: ${reason})`, () => {
          throw oracleMissingError(reason);
        });
      });
    else describe.skip(`${title} (skipped: ${reason})`, options, fn);
  };
}

/**
 * For a condition only known inside a running test (an image that failed to attach): throws under the
 * official switch, else marks the running test skipped with the reason (`ctx.skip`). Prefer the
 * collection-time gates above.
 */
export function skipOrFail(ctx: { skip: (note?: string) => never }, reason: string): never {
  if (oraclesRequired) throw oracleMissingError(reason);
  return ctx.skip(`skipped: ${reason}`);
}

/**
 * A hang guard (not a speed check: speed belongs in bench/): resolves as `promise` does, or rejects with
 * "hang: …" if it has not settled after `ms` (generous: a loaded 2-core machine). The timer is cleared.
 */
export async function settleWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} did not settle within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}
