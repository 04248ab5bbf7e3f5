/**
 * Repair wall time on a VHDX against the same disk as raw, in the same run (issue 14's target: within
 * 1.2x). The catalog's windows-sample, and its `qemu-img convert -O vhdx` (dynamic, 32 MiB blocks);
 * each run on a fresh sparse copy (copying is not timed), `node cli/bin/coldfix.js repair COPY --json`,
 * interleaved raw / VHDX, median of --runs.
 *
 *   npx tsc -b bench cli && node bench/dist/vhdx-repair-time.js [--runs 5]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const coldfix = join(repo, 'cli/bin/coldfix.js');
const work = join(repo, 'bench/out/vhdx-repair');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 5) || 5;

function timedRepair(source: string, copy: string): number {
  rmSync(copy, { force: true });
  rmSync(`${copy}.coldfix-journal`, { force: true });
  rmSync(`${copy}.coldfix-quarantine`, { recursive: true, force: true });
  execFileSync('cp', ['--sparse=always', source, copy]);
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [coldfix, 'repair', copy, '--json'], { stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`repair of ${copy} exited ${r.status}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const { ensureImages } = await import('@coldfix/test-images');
  const raw = (await ensureImages(['windows-sample'])).entries['windows-sample']!.image;
  mkdirSync(work, { recursive: true });
  const vhdx = join(work, 'source.vhdx');
  if (!existsSync(vhdx)) execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vhdx', '-o', 'subformat=dynamic', raw, vhdx]);
  const rawTimes: number[] = [];
  const vhdxTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    rawTimes.push(timedRepair(raw, join(work, 'disk.img')));
    vhdxTimes.push(timedRepair(vhdx, join(work, 'disk.vhdx')));
  }
  rmSync(work, { recursive: true, force: true });
  const r = median(rawTimes);
  const v = median(vhdxTimes);
  process.stdout.write(`repair wall time, median of ${runs} interleaved runs: raw ${(r / 1000).toFixed(2)} s, VHDX ${(v / 1000).toFixed(2)} s (${(v / r).toFixed(2)}x raw)\n`);
}

await main();
