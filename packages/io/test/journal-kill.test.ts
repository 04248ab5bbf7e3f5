/**
 * Crash test: a child process writing through JournaledFile is SIGKILLed at a
 * random moment (and, in half the trials, so is the rollback that follows);
 * rolling back must then give the original image byte for byte (sha256).
 * The long run (200+ trials) is bench/src/kill-trials.ts.
 *
 * SIGKILL ends the process but not the kernel: it tests the write ordering of
 * the code (journal record before image write, idempotent rollback), not
 * power loss, which the fsync ordering argued in docs/journal.md covers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const TRIALS = 30;

interface TrialResult {
  seed: number;
  identical: boolean;
  writerKilled: boolean;
  rollbackKilled: boolean;
  tornBytes: number;
  error?: string;
}
type RunKillTrial = (options: { dir: string; seed: number; maxSize?: number; maxDelayMs?: number; rollbackDelayMs?: number; finish?: boolean; killRollback?: boolean; journalDir?: string }) => Promise<TrialResult>;
let runKillTrial: RunKillTrial;

beforeAll(async () => {
  // The children import the compiled package: build it (a no-op when up to date).
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/io'], { cwd: root, stdio: 'pipe' });
  ({ runKillTrial } = (await import('./fixtures/kill-trial.mjs')) as { runKillTrial: RunKillTrial });
});

describe('JournaledFile under SIGKILL', () => {
  it(`${TRIALS} killed sessions (half with a killed rollback too) all roll back byte-identical`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coldfix-kill-'));
    try {
      const base = Date.now() & 0xffff;
      const results: TrialResult[] = [];
      // Three at a time: the trials mostly wait on fsync and process start-up.
      for (let i = 0; i < TRIALS; i += 3) {
        const batch = [i, i + 1, i + 2].filter((n) => n < TRIALS);
        results.push(...(await Promise.all(batch.map((n) => runKillTrial({
              dir,
              seed: base * 1000 + n,
              maxSize: 128 * 1024,
              maxDelayMs: 150,
              rollbackDelayMs: 120,
              finish: n % 10 === 9,
              killRollback: n % 2 === 1,
              journalDir: n % 5 === 3 ? dir : undefined,
            })))));
      }
      const failed = results.filter((r) => !r.identical);
      expect(failed, JSON.stringify(failed, null, 1)).toEqual([]);
      // The trials must actually interrupt work, or they prove nothing.
      expect(results.filter((r) => r.writerKilled).length).toBe(TRIALS - TRIALS / 10);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
