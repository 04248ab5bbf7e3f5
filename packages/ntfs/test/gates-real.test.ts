/**
 * The write gates on a real Windows volume left unclean (fox-it
 * ntfs-cloud.bin, MANIFEST: Windows 10/11, $LogFile 2.0, no clean flag, no
 * hiberfil.sys): it is an unclean journal, not a hibernated one, so only the
 * overridable logfile-unclean gate fires.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSource } from '@coldfix/io';
import { assertWritable, checkWriteGates } from '../src/index.js';
import { fixturesRoot } from './helpers/fixtures.js';

const gz = join(fixturesRoot, 'fox-it-dissect.ntfs', 'ntfs-cloud.bin.gz');
const strict = process.env.COLDFIX_REQUIRE_ORACLES === '1';
const haveProbe = spawnSync('ntfs-3g.probe', ['--help'], { stdio: 'ignore' }).error === undefined;
let work: string | null = null;
afterEach(() => { if (work) rmSync(work, { recursive: true, force: true }); work = null; });

describe.skipIf((!existsSync(gz) || !haveProbe) && !strict)('write gates on ntfs-cloud.bin (real Windows, unclean 2.0 journal)', () => {
  it('fires logfile-unclean only (no hibernated gate: no hiberfil.sys); --force-unclean-log lets it through; ntfs-3g.probe sees the 2.0 journal (exit 14)', async () => {
    work = mkdtempSync(join(tmpdir(), 'coldfix-gates-real-'));
    const image = join(work, 'cloud.bin');
    execFileSync('bash', ['-c', 'gunzip -c "$1" | cp --sparse=always /dev/stdin "$2"', 'x', gz, image]);
    expect(spawnSync('ntfs-3g.probe', ['--readwrite', image]).status).toBe(14);
    const source = await FileSource.open(image);
    try {
      expect((await checkWriteGates(source)).map((f) => f.gate)).toEqual(['logfile-unclean']);
      await expect(assertWritable(source)).rejects.toMatchObject({ code: 'NTFS_GATE_LOGFILE_UNCLEAN' });
      expect((await assertWritable(source, { forceUncleanLog: true })).overridden.map((f) => f.gate)).toEqual(['logfile-unclean']);
    } finally {
      await source.close();
    }
  }, 120_000);
});
