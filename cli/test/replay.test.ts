/**
 * `coldfix replay` on a real Windows volume left unclean (fox-it
 * ntfs-cloud.bin: $LogFile 2.0, not clean). Oracles: ntfs-3g's `ntfsrecover -k`
 * on another copy (the whole image must be byte-identical), `ntfs-3g.probe
 * --readwrite` (0 after, 14 before), `ntfsfix -n` (same verdict as on
 * ntfsrecover's result), and `coldfix rm` working afterwards with no override.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realFixturesDir } from '@coldfix/test-images';

const cli = fileURLToPath(new URL('../bin/coldfix.js', import.meta.url));
const gz = join(realFixturesDir(), 'fox-it-dissect.ntfs', 'ntfs-cloud.bin.gz');
const strict = process.env.COLDFIX_REQUIRE_ORACLES === '1';
const haveTools = ['ntfsrecover', 'ntfs-3g.probe', 'ntfsfix'].every((t) => spawnSync(t, ['--help'], { stdio: 'ignore' }).error === undefined);
const coldfix = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
const same = (a: string, b: string): boolean => spawnSync('cmp', ['-s', a, b]).status === 0;

describe.skipIf((!existsSync(gz) || !haveTools) && !strict)('coldfix replay on ntfs-cloud.bin (real unclean 2.0 journal)', () => {
  let work = '';
  const copy = (name: string): string => {
    const out = join(work, name);
    execFileSync('cp', ['--sparse=always', join(work, 'original.bin'), out]);
    return out;
  };
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'coldfix-replay-'));
    execFileSync('bash', ['-c', 'gunzip -c "$1" | cp --sparse=always /dev/stdin "$2"', 'x', gz, join(work, 'original.bin')]);
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('gives an image byte-identical to ntfsrecover -k on another copy; ntfs-3g then mounts it read-write; rollback restores it', () => {
    const theirs = copy('ntfsrecover.bin');
    const ours = copy('coldfix.bin');
    expect(spawnSync('ntfs-3g.probe', ['--readwrite', ours]).status).toBe(14);
    const nr = spawnSync('ntfsrecover', ['-k', theirs], { encoding: 'utf8' });
    expect(nr.status).toBe(0);
    expect(nr.stdout + nr.stderr).toMatch(/Syncing successful after playing 2 actions/);
    const dry = coldfix(['replay', ours, '--dry-run', '--json']);
    expect(dry.status).toBe(0);
    expect(same(ours, join(work, 'original.bin'))).toBe(true);
    const run = coldfix(['replay', ours, '--json']);
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ result: 'replayed', version: '2.0', redoApplied: 0, undoApplied: 0 });
    expect(same(ours, theirs)).toBe(true);
    expect(spawnSync('ntfs-3g.probe', ['--readwrite', ours]).status).toBe(0);
    // The fixture lacks its backup boot sector (cut image): ntfsfix -n fails on that alone, identically before and after either replay.
    const fix = (p: string): string => { const r = spawnSync('ntfsfix', ['-n', p], { encoding: 'utf8' }); return `${r.status}:${r.stdout}${r.stderr}`; };
    expect(fix(ours)).toBe(fix(theirs));
    expect(fix(join(work, 'original.bin'))).toBe(fix(ours));
    expect(coldfix(['replay', ours, '--dry-run']).stdout).toMatch(/nothing to replay/);
    expect(coldfix(['rollback', ours]).status).toBe(0);
    expect(same(ours, join(work, 'original.bin'))).toBe(true);
  }, 300_000);

  it('after a committed replay, coldfix rm works with no override (it refused before)', () => {
    const image = copy('rm.bin');
    expect(coldfix(['rm', image, '/OneDrive/desktop.ini']).status).toBe(4);
    expect(coldfix(['replay', image, '--commit']).status).toBe(0);
    const rm = coldfix(['rm', image, '/OneDrive/desktop.ini']);
    expect(rm.status, rm.stdout + rm.stderr).toBe(0);
    expect(rm.stdout).toMatch(/check: clean/);
  }, 300_000);
});
