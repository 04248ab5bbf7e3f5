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
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { realFixturesDir } from '@coldfix/test-images';
import { FileSource } from '@coldfix/io';
import { NtfsVolume, applyFixups, decodeLogFile, findAttribute, protectFixups, readVolumeLogFile } from '@coldfix/ntfs';

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

  it('a journal needing a redo (UpdateResidentValue on MFT record 48) replays byte-identical to ntfsrecover -k', async () => {
    // Crafted from the real journal: record 48's bytes at the update of LSN 4217080 go back to their undo image with an
    // older record LSN, the client's oldest LSN moves back to 4217080 (both restart pages, fixups kept), and record 36
    // (an UpdateFileNameRoot Windows never flushed, which coldfix does not apply) is marked newer so neither tool touches it.
    const image = copy('craft.bin');
    const source = await FileSource.open(image);
    const volume = await NtfsVolume.open(source);
    const j = decodeLogFile(await readVolumeLogFile(volume));
    const r48 = j.records.find((r) => r.lsn === 4217080n)!;
    const r36 = j.records.find((r) => r.lsn === 4217532n)!;
    expect([r48.update!.redoOperationName, r48.update!.mftRecord, r36.update!.redoOperationName, r36.update!.mftRecord]).toEqual(['UpdateResidentValue', 48, 'UpdateFileNameRoot', 36]);
    const at = (r: typeof r48): number => Number(r.update!.lcns[0]) * volume.clusterSize + r.update!.clusterBlockOffset * 512;
    const logAt = findAttribute(await volume.readRecord(2), 0x80, '')!.runs[0].lcn! * volume.clusterSize;
    expect(logAt).toBe(0x14a88000);
    await source.close();
    const fd = openSync(image, 'r+');
    try {
      const lsn = Buffer.alloc(8);
      lsn.writeBigUInt64LE(4217000n);
      writeSync(fd, lsn, 0, 8, at(r48) + 8);
      writeSync(fd, r48.update!.undo, 0, r48.update!.undo.length, at(r48) + r48.update!.recordOffset + r48.update!.attributeOffset);
      lsn.writeBigUInt64LE(4217600n);
      writeSync(fd, lsn, 0, 8, at(r36) + 8);
      for (const p of [0, 4096]) {
        const page = new Uint8Array(4096);
        readSync(fd, page, 0, 4096, logAt + p);
        const usn = page[0x1e] | (page[0x1f] << 8);
        expect(applyFixups(page, 0x1e, 9).ok).toBe(true);
        new DataView(page.buffer).setBigUint64(0x70, 4217080n, true);
        protectFixups(page, 0x1e, 9, usn);
        writeSync(fd, page, 0, 4096, logAt + p);
      }
    } finally {
      closeSync(fd);
    }
    const theirs = join(work, 'craft-ntfsrecover.bin');
    execFileSync('cp', ['--sparse=always', image, theirs]);
    const nr = spawnSync('ntfsrecover', ['-k', theirs], { encoding: 'utf8' });
    expect(nr.status).toBe(0);
    expect(same(image, theirs)).toBe(false);
    const run = coldfix(['replay', image, '--json']);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ result: 'replayed', redoApplied: 1 });
    expect(same(image, theirs)).toBe(true);
    expect(spawnSync('ntfs-3g.probe', ['--readwrite', image]).status).toBe(0);
  }, 300_000);

  it('the same journal with record 36 left unflushed is refused before any write, naming the operation and its LSN', () => {
    const image = copy('refuse.bin');
    const before = join(work, 'refuse-before.bin');
    // Move the oldest LSN back so the UpdateFileNameRoot of LSN 4217532 (record 36 on disk at an older LSN) is in the redo range.
    const fd = openSync(image, 'r+');
    try {
      for (const p of [0, 4096]) {
        const page = new Uint8Array(4096);
        const logAt = 0x14a88000; // $LogFile's first cluster on this volume (checked by the test above through the MFT)
        readSync(fd, page, 0, 4096, logAt + p);
        const usn = page[0x1e] | (page[0x1f] << 8);
        expect(applyFixups(page, 0x1e, 9).ok).toBe(true);
        new DataView(page.buffer).setBigUint64(0x70, 4217080n, true);
        protectFixups(page, 0x1e, 9, usn);
        writeSync(fd, page, 0, 4096, logAt + p);
      }
    } finally {
      closeSync(fd);
    }
    execFileSync('cp', ['--sparse=always', image, before]);
    const run = coldfix(['replay', image, '--json']);
    expect(run.status).toBe(4);
    expect(JSON.parse(run.stdout)).toMatchObject({ result: 'refused', details: { lsn: '4217532', operation: 'UpdateFileNameRoot', side: 'redo' } });
    expect(same(image, before)).toBe(true);
    expect(existsSync(`${image}.coldfix-journal`)).toBe(false);
  }, 300_000);

  it('after a committed replay, coldfix rm works with no override (it refused before)', () => {
    const image = copy('rm.bin');
    // The fixture stops one sector short of its partition: the backup boot sector Windows keeps in the
    // last sector is missing (ntfsfix -n and coldfix check both report it), and rm refuses a volume whose
    // check would fail after the write. Put it back (a copy of the primary), as the partition had it.
    execFileSync('bash', ['-c', 'dd if="$1" bs=512 count=1 status=none >> "$1"', 'x', image]);
    expect(coldfix(['rm', image, '/OneDrive/desktop.ini']).status).toBe(4);
    expect(coldfix(['replay', image, '--commit']).status).toBe(0);
    const rm = coldfix(['rm', image, '/OneDrive/desktop.ini']);
    expect(rm.status, rm.stdout + rm.stderr).toBe(0);
    expect(rm.stdout).toMatch(/check: clean/);
  }, 300_000);
});
