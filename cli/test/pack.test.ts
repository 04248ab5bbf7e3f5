/**
 * The installable CLI: `npm run pack -w cli` → `npm pack` → `npm install -g --prefix TMP` of the
 * tarball (offline: it must need nothing from a registry) → `TMP/bin/coldfix repair` of a generated
 * image from a folder outside the repository, then a `batch` (the bundled worker thread). The repair
 * is judged by the repository's own `coldfix verify` and by the catalog's facts (the bad channel files
 * the image holds are gone).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const winVhd = join(repo, 'test-images/cache/windows-sample-vhd/windows-sample-vhd.vhd');
const skip = !existsSync(winVhd) && process.env.COLDFIX_REQUIRE_ORACLES !== '1';
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'coldfix-pack-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.skipIf((skip) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')(`npm pack of the CLI${skip ? ' (skipped: catalog image missing)' : ''}`, () => {
  it('installs from its tarball alone and repairs an image outside the repository', async () => {
    await run('npm', ['run', 'pack', '-w', 'cli'], { cwd: repo });
    await run('npm', ['pack', join(repo, 'cli/pack'), '--pack-destination', tmp], { cwd: tmp });
    const tarball = (await readdir(tmp)).find((n) => n.endsWith('.tgz'))!;
    expect(tarball).toBe('coldfix-cli-0.1.0.tgz');
    const prefix = join(tmp, 'prefix');
    await run('npm', ['install', '-g', '--offline', '--prefix', prefix, join(tmp, tarball)], { cwd: tmp });
    const installed = join(prefix, 'lib/node_modules/@coldfix/cli');
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toEqual(['piscina']);
    // Nothing but the bundled piscina beside the bundle: no @coldfix package, no dev dependency.
    expect(await readdir(join(installed, 'node_modules'))).toEqual(['piscina']);

    const work = join(tmp, 'work');
    await run('mkdir', ['-p', work]);
    await run('cp', ['--sparse=always', winVhd, join(work, 'base.vhd')]);
    const { createDifferencingVhd } = await import('@coldfix/disk-image');
    await createDifferencingVhd(join(work, 'a.vhd'), join(work, 'base.vhd'));
    await createDifferencingVhd(join(work, 'b.vhd'), join(work, 'base.vhd'));
    const coldfix = join(prefix, 'bin/coldfix');
    const env = { PATH: `${join(prefix, 'bin')}:/usr/bin:/bin`, HOME: tmp };
    const repaired = await run(coldfix, ['repair', 'a.vhd', '--json'], { cwd: work, env });
    const report = JSON.parse(repaired.stdout) as { result: string; volumes: { matches: { classification: string }[] }[] };
    expect(report.result).toBe('repaired');
    const batch = await run(coldfix, ['batch', '.', '--json'], { cwd: work, env });
    const summary = JSON.parse(batch.stdout.trim().split('\n').at(-1)!) as { results: Record<string, number>; skipped: { sharedParent: number } };
    expect(summary.results).toEqual({ clean: 1, repaired: 1 });
    expect(summary.skipped.sharedParent).toBe(1);
    for (const image of ['a.vhd', 'b.vhd']) {
      const verify = await run(process.execPath, [join(repo, 'cli/bin/coldfix.js'), 'verify', join(work, image), '--json'], { env: { ...process.env, COLDFIX_NO_BUNDLE: '1' } });
      expect(JSON.parse(verify.stdout).result).toBe('clean');
    }
  }, 600_000);
});
