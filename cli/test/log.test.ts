/**
 * `coldfix log` end to end (built CLI): on bare $LogFile copies made by Windows
 * (MANIFEST section 9) and on a real Windows volume (fox-it ntfs-cloud.bin).
 * Oracles: the MANIFEST facts, ntfsrecover's record list, and TSK's `ffind`
 * for the paths of target records.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realFixturesDir } from '@coldfix/test-images';

const cli = fileURLToPath(new URL('../bin/coldfix.js', import.meta.url));
const dir = join(realFixturesDir(), 'msuhanov-dfir-ntfs-logfile');
const cloudGz = join(realFixturesDir(), 'fox-it-dissect.ntfs', 'ntfs-cloud.bin.gz');
const strict = process.env.COLDFIX_REQUIRE_ORACLES === '1';
const have = existsSync(join(dir, 'LogFile_7.bin'));
const haveFfind = spawnSync('ffind', ['-V'], { stdio: 'ignore' }).error === undefined;
const run = (args: string[]): string => execFileSync(process.execPath, [cli, ...args], { maxBuffer: 1 << 28, encoding: 'utf8' });
const ndjson = (text: string): Array<Record<string, any>> => text.trim().split('\n').map((l) => JSON.parse(l));

describe.skipIf(!have && !strict)('coldfix log on bare $LogFile copies', () => {
  it('LogFile_7.bin --json: version 1.1, clean, the tail copy applied, find_me.txt records on MFT record 40 and the root $I30', () => {
    const lines = ndjson(run(['log', join(dir, 'LogFile_7.bin'), '--json']));
    const journal = lines[0];
    expect(journal).toMatchObject({ type: 'journal', version: '1.1', clean: true, empty: false });
    expect(journal.applied.map((a: { kind: string }) => a.kind)).toEqual(['tail']);
    expect(lines.filter((l) => l.type === 'restart-page').length).toBe(2);
    const checkpoint = lines.find((l) => l.type === 'checkpoint')!;
    expect([checkpoint.area.majorVersion, checkpoint.area.minorVersion]).toEqual([0, 0]);
    const findMe = lines.filter((l) => l.type === 'record' && l.names.some((n: { name: string }) => n.name === 'find_me.txt'));
    expect(findMe.length).toBeGreaterThan(0);
    for (const r of findMe) expect(r.mftRecord === 40 || (r.attribute?.fileRecord === 5 && r.attribute.name === '$I30')).toBe(true);
  });

  it('--record 40 keeps only the records whose target is MFT record 40', () => {
    const records = ndjson(run(['log', join(dir, 'LogFile_7.bin'), '--json', '--record', '40'])).filter((l) => l.type === 'record');
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) expect(r.mftRecord === 40 || r.attribute?.fileRecord === 40).toBe(true);
  });

  it('--transactions lists transactions; the text form names the version and the operations', () => {
    const tx = ndjson(run(['log', join(dir, 'LogFile_10.bin'), '--json', '--transactions'])).filter((l) => l.type === 'transaction');
    expect(tx.length).toBeGreaterThan(0);
    const text = run(['log', join(dir, 'LogFile_10.bin')]);
    expect(text).toMatch(/version 2\.0, NOT clean/);
    expect(text).toMatch(/ZeroEndOfFileRecord/);
  });

  it('LogFile_empty.bin is shown as empty', () => {
    expect(run(['log', join(dir, 'LogFile_empty.bin')])).toMatch(/is empty/);
  });
});

describe.skipIf((!existsSync(cloudGz) || !haveFfind) && !strict)('coldfix log on a Windows volume', () => {
  it('ntfs-cloud.bin: version 2.0, not clean, and the paths of target records are those ffind gives', () => {
    const work = mkdtempSync(join(tmpdir(), 'coldfix-log-'));
    try {
      const image = join(work, 'cloud.bin');
      execFileSync('bash', ['-c', 'gunzip -c "$1" | cp --sparse=always /dev/stdin "$2"', 'x', cloudGz, image]);
      const lines = ndjson(run(['log', image, '--json']));
      expect(lines[0]).toMatchObject({ version: '2.0', clean: false });
      const paths = new Map<string, string>();
      for (const r of lines.filter((l) => l.type === 'record' && !l.stale)) for (const [n, p] of Object.entries(r.targetPaths as Record<string, string>)) paths.set(n, p);
      expect(paths.size).toBeGreaterThan(2);
      for (const [n, p] of paths) {
        if (p.startsWith('?') || p.startsWith('(')) continue;
        const theirs = execFileSync('ffind', [image, n], { encoding: 'utf8' }).trim().split('\n').map((l) => l.replace(/^\* /, '').replace(/^\/\//, '/')); // ffind marks deleted records "* " and prints root metafiles as //$Name
        expect(theirs, `record ${n}`).toContain(p);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
