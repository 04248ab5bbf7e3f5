/**
 * SIGKILL trials for the undo journal, at scale.
 *
 *   npx tsc -b bench && node bench/dist/kill-trials.js [trials=200] [--concurrency N] [--max-size BYTES]
 *
 * Each trial makes a random image (up to --max-size bytes), starts a child that
 * writes through JournaledFile (random writes and resizes) and SIGKILLs it at a
 * random moment; in half the trials the rollback that follows is killed too;
 * one trial in ten lets the writer complete. Then it rolls back and compares
 * the image's sha256 with the original. Prints how many trials ended
 * byte-identical (must be all) and exits 1 otherwise.
 *
 * The trial itself lives in packages/io/test/fixtures/kill-trial.mjs, shared
 * with the (shorter) test in packages/io/test/journal-kill.test.ts; it needs
 * the compiled io package (this build makes it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface TrialResult {
  seed: number;
  identical: boolean;
  size: number;
  writerKilled: boolean;
  rollbackKilled: boolean;
  journalState: string | null;
  journalRecords: number;
  tornBytes: number;
  error?: string;
}
interface TrialModule {
  runKillTrial(options: { dir: string; seed: number; maxSize?: number; finish?: boolean; killRollback?: boolean; journalDir?: string }): Promise<TrialResult>;
}

function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  args.splice(at, 2);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} needs a positive integer`);
  return value;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const concurrency = option(args, '--concurrency', 2);
  const maxSize = option(args, '--max-size', 1 << 20);
  const trials = args[0] === undefined ? 200 : Number(args[0]);
  if (!Number.isSafeInteger(trials) || trials <= 0) throw new Error('usage: node bench/dist/kill-trials.js [trials] [--concurrency N] [--max-size BYTES]');
  const modulePath = new URL('../../packages/io/test/fixtures/kill-trial.mjs', import.meta.url).href;
  const { runKillTrial } = (await import(modulePath)) as TrialModule;
  const dir = await mkdtemp(join(tmpdir(), 'coldfix-kill-bench-'));
  const seedBase = (Date.now() % 100_000) * 10_000;
  const results: TrialResult[] = [];
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < trials) {
      const n = next++;
      const result = await runKillTrial({ dir, seed: seedBase + n, maxSize, finish: n % 10 === 9, killRollback: n % 2 === 1, journalDir: n % 5 === 3 ? dir : undefined });
      results.push(result);
      if (!result.identical) process.stderr.write(`trial seed ${result.seed} NOT identical: ${JSON.stringify(result)}\n`);
      if (results.length % 20 === 0) process.stderr.write(`${results.length}/${trials}\n`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, trials) }, worker));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  const identical = results.filter((r) => r.identical).length;
  const count = (f: (r: TrialResult) => boolean) => results.filter(f).length;
  const summary = {
    trials,
    identical,
    notIdentical: trials - identical,
    writerKilled: count((r) => r.writerKilled),
    writerCompleted: count((r) => !r.writerKilled),
    rollbackKilled: count((r) => r.rollbackKilled),
    journalsUnfinished: count((r) => r.journalState === 'unfinished'),
    journalsComplete: count((r) => r.journalState === 'complete'),
    tornTails: count((r) => r.tornBytes > 0),
    meanJournalRecords: Math.round(results.reduce((s, r) => s + r.journalRecords, 0) / trials),
    seedBase,
    seconds: Math.round(seconds * 10) / 10,
  };
  process.stdout.write(`kill trials: ${identical}/${trials} byte-identical after rollback (${summary.writerKilled} writers killed, ${summary.rollbackKilled} rollbacks killed, ${summary.tornTails} torn journal tails) in ${summary.seconds} s\n`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return identical === trials ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`kill-trials: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
