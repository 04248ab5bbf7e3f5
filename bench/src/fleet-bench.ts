/**
 * Batch throughput on one machine: images per minute with 1 and 2 worker threads, and peak memory.
 *
 *   npx tsc -b bench && node bench/dist/fleet-bench.js [--images 50] [--jobs 1,2]
 *
 * Images: N differencing children of the catalog's windows-sample-vhd (each holds the four channel-291
 * files through its parent; each repair writes only its child), made fresh for every run (not timed),
 * over one sparse copy of the parent in bench/out/fleet/. A snapshot library of children of one base
 * image is the common shape of a VM fleet; the parent's blocks are in the page cache after the first
 * image, as they would be on a host repairing many snapshots of one base.
 * Figures: wall time of `coldfix batch DIR --jobs J --quiet --results FILE` (spawn to exit), images per
 * minute, speed-up 1 -> 2, peak RSS of the process (`/usr/bin/time -v`; piscina threads share it, so
 * the per-worker figure is the growth from 1 to 2 threads) and the machine's load average.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDifferencingVhd } from '@coldfix/disk-image';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const out = join(repo, 'bench/out/fleet');
const source = join(repo, 'test-images/cache/windows-sample-vhd/windows-sample-vhd.vhd');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const count = Number(option('--images', '50'));
const jobsList = option('--jobs', '1,2').split(',').map(Number);

async function prepare(dir: string, base: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) await createDifferencingVhd(join(dir, `vm-${String(i).padStart(3, '0')}.vhd`), base);
}

async function main(): Promise<void> {
  if (!existsSync(source)) throw new Error(`${source} missing: npm run images`);
  mkdirSync(out, { recursive: true });
  const base = join(out, 'base.vhd');
  if (!existsSync(base)) execFileSync('cp', ['--sparse=always', source, base]);
  const rows: { jobs: number; seconds: number; perMinute: number; rssMiB: number; load: string }[] = [];
  for (const jobs of jobsList) {
    const dir = join(out, `images-${jobs}`);
    await prepare(dir, base);
    const results = join(out, `results-${jobs}.jsonl`);
    rmSync(results, { force: true });
    const load = loadavg().map((l) => l.toFixed(1)).join(' ');
    const started = process.hrtime.bigint();
    const run = spawnSync('/usr/bin/time', ['-v', process.execPath, join(repo, 'cli/bin/coldfix.js'), 'batch', dir, '--jobs', String(jobs), '--quiet', '--results', results, '--parent-dir', out], { encoding: 'utf8' });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const lines = readFileSync(results, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { result: string });
    const repaired = lines.filter((l) => l.result === 'repaired').length;
    if (run.status !== 0 || repaired !== count) throw new Error(`jobs ${jobs}: exit ${run.status}, ${repaired}/${count} repaired\n${run.stderr.slice(-2000)}`);
    const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1] ?? 0) / 1024;
    rows.push({ jobs, seconds, perMinute: (count / seconds) * 60, rssMiB: rss, load });
    process.stdout.write(`jobs ${jobs}: ${count} images repaired in ${seconds.toFixed(1)} s = ${((count / seconds) * 60).toFixed(1)} images/min, peak RSS ${rss.toFixed(0)} MiB (load before: ${load})\n`);
    rmSync(dir, { recursive: true, force: true });
  }
  const one = rows.find((r) => r.jobs === 1);
  const two = rows.find((r) => r.jobs === 2);
  if (one && two) {
    process.stdout.write(`speed-up 1 -> 2 workers: ${(two.perMinute / one.perMinute).toFixed(2)}x (target >= 1.8x); RSS growth for the second worker: ${(two.rssMiB - one.rssMiB).toFixed(0)} MiB (target <= 150 MB per worker)\n`);
  }
}

await main();
