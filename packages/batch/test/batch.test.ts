/**
 * The pool runs repairs on worker threads and brings typed errors back across
 * the thread boundary. Runs the compiled package (workers load dist/worker.js);
 * `npm test` builds before running vitest.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile, copyFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorFromJSON, CorruptError, NotFoundError, type SerializedColdfixError } from '@coldfix/io';
import { crowdstrike291 } from '@coldfix/repair';

const dist = new URL('../dist/index.js', import.meta.url);

/** Scratch folders of this file, removed when it ends. */
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('runLocal', () => {
  it('has a compiled worker to load (npm test builds first)', () => {
    expect(existsSync(dist), `${dist.pathname} missing: run npx tsc -b packages/batch`).toBe(true);
  });

  it('runs each image on a worker and serialises errors with their class and code', async () => {
    const { runLocal, planBatch } = (await import(dist.href)) as typeof import('../src/index.js');
    const dir = await mkdtemp(join(tmpdir(), 'coldfix-batch-'));
    scratch.push(dir);
    const garbage = join(dir, 'garbage.img');
    await writeFile(garbage, Buffer.alloc(100, 1));
    const missing = join(dir, 'missing.vhd');
    const seen: string[] = [];
    const planned = await planBatch([garbage, missing].map((image) => ({ image, action: 'dry-run' as const, line: 0 })), { rules: [crowdstrike291] });
    const { results } = await runLocal(planned, { rules: [crowdstrike291] }, { jobs: 2, onResult: (o) => void seen.push(o.image) });
    expect(seen.sort()).toEqual([garbage, missing].sort());
    const byImage = new Map(results.map((o) => [o.image, o]));
    const g = byImage.get(garbage)!;
    const m = byImage.get(missing)!;
    expect(g.result).toBe('error');
    expect(m.result).toBe('error');
    expect(g.final && m.final).toBe(true);
    const gError = errorFromJSON(g.error as SerializedColdfixError);
    expect(gError).toBeInstanceOf(CorruptError);
    expect(gError.code).toBe('DISK_TRUNCATED');
    const mError = errorFromJSON(m.error as SerializedColdfixError);
    expect(mError).toBeInstanceOf(NotFoundError);
    expect(mError.message).toContain('missing.vhd');
  });

  it('dry-runs a clean NTFS volume on a worker', async () => {
    const { runLocal, planBatch } = (await import(dist.href)) as typeof import('../src/index.js');
    const dir = await mkdtemp(join(tmpdir(), 'coldfix-batch-'));
    scratch.push(dir);
    const image = join(dir, 'vol.img');
    // A bare mkntfs volume: NTFS, no Windows tree, so the rule finds nothing.
    const { execFileSync } = await import('node:child_process');
    execFileSync('truncate', ['-s', '16M', image]);
    execFileSync('mkntfs', ['-F', '-Q', '-q', image]);
    await copyFile(image, `${image}.orig`);
    const planned = await planBatch([{ image, action: 'dry-run', line: 0 }], { rules: [crowdstrike291] });
    const { results: [outcome] } = await runLocal(planned, { rules: [crowdstrike291] }, { jobs: 1 });
    expect(outcome.result).toBe('clean');
    const report = outcome.report as { volumes: { windows: string[] }[] };
    expect(report.volumes).toHaveLength(1);
    expect(report.volumes[0].windows).toEqual([]);
  });
});
