/**
 * The fleet on BullMQ: one real redis-server (random loopback port, no persistence), two
 * `coldfix worker` processes and one producer (`coldfix batch --queue`) over 14 affected images
 * (differencing children of the catalog's windows-sample-vhd, which holds the bad channel files).
 * One worker is SIGKILLed while it runs a repair: its job must complete on the other worker after
 * BullMQ's stalled-job check, its image must verify clean, and every job must complete exactly once
 * in the results file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findJournal } from '@coldfix/io';
import type { ResultLine } from '../src/index.js';
import { catalogImage, hasTool, makeChildren, readLines, requireOracles, runCli, scratch, sha256File, sparseCopy, startCli, startRedis, waitFor } from './helpers.js';

const winVhd = catalogImage('windows-sample-vhd', 'windows-sample-vhd.vhd');
const ready = existsSync(winVhd) && hasTool('redis-server') && hasTool('redis-cli');
const skip = !ready && !requireOracles;

let dir: string;
let redis: { url: string; stop: () => Promise<void> } | undefined;
const workers: ReturnType<typeof startCli>[] = [];

beforeAll(async () => {
  if (skip) return;
  dir = await scratch('fleet-queue');
  redis = await startRedis(dir);
}, 60_000);

afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.done));
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface WorkerEvent {
  event: string;
  key: string;
  image: string;
  worker: string;
}
const events = (text: string) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as WorkerEvent);

describe.skipIf((skip) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')(`coldfix worker on BullMQ${skip ? ' (skipped: redis-server or catalog image missing)' : ''}`, () => {
  it('two workers, one SIGKILLed mid-repair: every job completes exactly once and the killed job completes on the other', async () => {
    const base = join(dir, 'base.vhd');
    sparseCopy(winVhd, base);
    const images = Array.from({ length: 14 }, (_, i) => join(dir, `vm-${String(i).padStart(2, '0')}.vhd`));
    await makeChildren(base, images);
    const baseHash = await sha256File(base);
    const manifest = join(dir, 'manifest.jsonl');
    await writeFile(manifest, images.map((image) => JSON.stringify({ image })).join('\n') + '\n');
    const queueArgs = ['--queue', redis!.url, '--queue-name', 'fleet-test'];
    // Short lock and stalled check, so the dead worker's job is taken back within seconds.
    const workerArgs = ['worker', ...queueArgs, '--concurrency', '1', '--lock-duration', '4000', '--stalled-interval', '2000', '--json'];
    const a = startCli(workerArgs);
    const b = startCli(workerArgs);
    workers.push(a, b);
    await waitFor(() => a.stdout().includes('"ready"') && b.stdout().includes('"ready"'), 60_000, 'workers ready');
    const results = join(dir, 'results.jsonl');
    const producer = startCli(['batch', manifest, ...queueArgs, '--results', results, '--json']);
    // Kill A during its second job (its first has shown it works), shortly after the job starts.
    await waitFor(() => events(a.stdout()).filter((e) => e.event === 'start').length >= 2, 300_000, 'worker A on its second job');
    await new Promise((r) => setTimeout(r, 100));
    const aEvents = events(a.stdout());
    const killedStart = aEvents.filter((e) => e.event === 'start').at(-1)!;
    const killedFinished = aEvents.some((e) => e.event === 'done' && e.key === killedStart.key);
    a.child.kill('SIGKILL');
    await a.done;
    // What A left: no journal (killed before the write), a complete one (repair finished on disk) or an
    // unfinished one, which the retry must roll back before anything else.
    const left = await findJournal(killedStart.image);
    const run = await producer.done;
    expect(run.code, run.stderr).toBe(0);
    const lines = await readLines<ResultLine>(results);
    // Exactly once per job, every image.
    expect(lines.map((l) => l.key).sort()).toEqual([...new Set(lines.map((l) => l.key))].sort());
    expect(lines.map((l) => l.image).sort()).toEqual(images);
    const killedLine = lines.find((l) => l.key === killedStart.key)!;
    // A repair takes about a second here; 100 ms after its start A is still on it.
    expect(killedFinished).toBe(false);
    expect(killedLine.rolledBack !== undefined).toBe(left?.state === 'unfinished');
    {
      // The job A died in was completed by B: repaired, or clean when A's repair had finished on disk.
      const aPid = killedStart.worker.split(':')[1];
      expect(killedLine.worker.split(':')[1]).not.toBe(aPid);
      expect(['repaired', 'clean']).toContain(killedLine.result);
    }
    for (const line of lines) expect(['repaired', 'clean'], line.image).toContain(line.result);
    expect(lines.filter((l) => l.result === 'repaired').length).toBeGreaterThanOrEqual(13);
    // The image A was repairing verifies clean (no channel file left, volume consistent).
    const verify = await runCli(['verify', killedStart.image, '--json']);
    expect(verify.code, verify.stdout).toBe(0);
    expect(JSON.parse(verify.stdout).result).toBe('clean');
    // The shared parent was never written.
    expect(await sha256File(base)).toBe(baseHash);
    b.child.kill('SIGTERM');
    expect((await b.done).code).toBe(0);
  }, 900_000);
});
