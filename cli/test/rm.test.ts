/**
 * `coldfix rm` end to end on a volume made by mkntfs + ntfs-3g (packages/ntfs/test/write-fixtures.ts):
 * one file by path and one by `--record RECORD-SEQUENCE` (its sequence from The Sleuth Kit's istat),
 * judged by fls (exactly those two gone, every other allocated entry kept), ntfsfix -n and the image
 * hash; a stale sequence and a malformed reference change nothing; several targets are one
 * transaction (one missing: nothing written at all, not even undone writes; the dry run refuses
 * what the real run refuses).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildVolume, copyVolume, flsAllocated, ntfsfixDry } from '../../packages/ntfs/test/write-fixtures.js';
import { parseReference } from '../src/commands/rm.js';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const bin = join(repo, 'cli/bin/coldfix.js');

function coldfix(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}
const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
/** The record number in an fls line ("r/r 64-128-2:\tpath"). */
const flsRecord = (line: string): number => Number(/^\S+ (\d+)/.exec(line)![1]);
/** fls -r -p -u lines → "path record". */
const allocated = (img: string): string[] => flsAllocated(img).map((line) => `${line.split('\t')[1]} ${flsRecord(line)}`).sort();
/** The record number fls gives a path, and its sequence from istat. */
function reference(img: string, path: string): { record: number; sequence: number } {
  const line = flsAllocated(img).find((l) => l.split('\t')[1] === path);
  if (!line) throw new Error(`fls does not list ${path}`);
  const record = flsRecord(line);
  const istat = execFileSync('istat', [img, String(record)], { encoding: 'utf8' });
  const sequence = Number(/Sequence:\s*(\d+)/.exec(istat)![1]);
  return { record, sequence };
}

describe('parseReference', () => {
  it('takes RECORD-SEQUENCE and refuses anything else', () => {
    expect(parseReference('5027-3')).toEqual({ record: 5027, sequence: 3 });
    for (const bad of ['5027', '5027-', '-3', '5027-3-1', 'x-1', '1-70000', '']) expect(() => parseReference(bad), bad).toThrow(/RECORD-SEQUENCE/);
  });
});

describe('coldfix rm', () => {
  let base: string;
  beforeAll(() => {
    base = buildVolume('tree');
  }, 300_000);

  const copies: { dispose: () => void }[] = [];
  afterAll(() => {
    for (const c of copies) c.dispose();
  });

  it('deletes one file by path and one by --record; fls loses exactly those, ntfsfix -n is clean', () => {
    const copy = copyVolume(base);
    copies.push(copy);
    const before = allocated(copy.path);
    const byRecord = reference(copy.path, 'keep1.bin');
    expect(before).toContain('root2.txt ' + reference(copy.path, 'root2.txt').record);

    const result = coldfix(['rm', copy.path, 'root2.txt', '--record', `${byRecord.record}-${byRecord.sequence}`, '--json', '--commit']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.result).toBe('deleted');
    expect(report.deleted.map((d: { record: number }) => d.record)).toContain(byRecord.record);

    const after = allocated(copy.path);
    const gone = before.filter((row) => !after.includes(row));
    expect(gone.map((row) => row.split(' ')[0]).sort()).toEqual(['keep1.bin', 'root2.txt']);
    expect(after.filter((row) => !before.includes(row))).toEqual([]);
    const fix = ntfsfixDry(copy.path);
    expect(fix.ok, fix.output).toBe(true);
  });

  it('a stale sequence or a malformed reference changes nothing', () => {
    const copy = copyVolume(base);
    copies.push(copy);
    const { record, sequence } = reference(copy.path, 'keep1.bin');
    const hash = sha256(copy.path);

    const stale = coldfix(['rm', copy.path, '--record', `${record}-${sequence + 1}`]);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/NTFS_SEQUENCE_MISMATCH/);
    const malformed = coldfix(['rm', copy.path, '--record', String(record)]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/RECORD-SEQUENCE/);
    const nothing = coldfix(['rm', copy.path]);
    expect(nothing.code).toBe(2);
    expect(sha256(copy.path)).toBe(hash);
  });

  it('several targets are all or nothing: one missing and nothing is written (image bytes and mtime unchanged, no journal)', () => {
    const copy = copyVolume(base);
    copies.push(copy);
    const before = allocated(copy.path);
    expect(before.map((row) => row.split(' ')[0])).toContain('root2.txt');
    const hash = sha256(copy.path);
    const mtime = statSync(copy.path).mtimeMs;

    const r = coldfix(['rm', copy.path, 'root2.txt', 'no-such-file.txt']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/NTFS_PATH_NOT_FOUND/);
    expect(sha256(copy.path)).toBe(hash);
    // Not "written, then rolled back": the image file was never written to.
    expect(statSync(copy.path).mtimeMs).toBe(mtime);
    expect(existsSync(`${copy.path}.coldfix-journal`)).toBe(false);
    expect(allocated(copy.path)).toEqual(before);
  });

  it('--dry-run plans the targets as the real run does: the same file named twice is refused by both', () => {
    const copy = copyVolume(base);
    copies.push(copy);
    const { record, sequence } = reference(copy.path, 'root2.txt');
    const hash = sha256(copy.path);
    const twice = ['root2.txt', '--record', `${record}-${sequence}`];

    const dry = coldfix(['rm', copy.path, ...twice, '--dry-run', '--json']);
    const real = coldfix(['rm', copy.path, ...twice]);
    expect(real.code, real.stderr).toBe(2);
    expect(real.stderr).toMatch(/NTFS_RECORD_NOT_IN_USE/);
    expect(dry.code, dry.stdout).toBe(2);
    expect(dry.stderr).toMatch(/NTFS_RECORD_NOT_IN_USE/);
    expect(sha256(copy.path)).toBe(hash);

    // Two different files: the dry run lists both and the structures written once for the two.
    const other = reference(copy.path, 'keep1.bin');
    const ok = coldfix(['rm', copy.path, 'root2.txt', '--record', `${other.record}-${other.sequence}`, '--dry-run', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report.result).toBe('would-delete');
    expect(report.deleted.map((d: { record: number }) => d.record).sort((a: number, b: number) => a - b)).toEqual([reference(copy.path, 'root2.txt').record, other.record].sort((a, b) => a - b));
    const offsets = report.changes.map((c: { offset: number }) => c.offset);
    expect(new Set(offsets).size).toBe(offsets.length);
    expect(sha256(copy.path)).toBe(hash);
  });

  it('refuses before writing a volume whose check would fail after the delete; the dry run predicts it (exit 4, findings listed)', () => {
    const copy = copyVolume(base);
    copies.push(copy);
    // A defect the volume already has: a free cluster marked in use in $Bitmap (record 6), set with dd
    // at a zero byte of the bitmap's second half (icat gives the bitmap; istat its first cluster).
    const bitmap = execFileSync('icat', [copy.path, '6'], { maxBuffer: 64 << 20 });
    const at = bitmap.indexOf(0, bitmap.length >> 1);
    expect(at).toBeGreaterThan(0);
    const istat6 = execFileSync('istat', [copy.path, '6'], { encoding: 'utf8' });
    const firstCluster = Number(/\$DATA \(128-\d+\)[^\n]*\n\s*(\d+)/.exec(istat6)![1]);
    const clusterSize = Number(/Cluster Size: (\d+)/.exec(execFileSync('fsstat', [copy.path], { encoding: 'utf8' }))![1]);
    execFileSync('bash', ['-c', 'printf "\\x01" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none', 'x', copy.path, String(firstCluster * clusterSize + at)]);
    expect(execFileSync('icat', [copy.path, '6'])[at]).toBe(1);
    const hash = sha256(copy.path);
    const mtime = statSync(copy.path).mtimeMs;

    const dry = coldfix(['rm', copy.path, 'root2.txt', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(4);
    const dryReport = JSON.parse(dry.stdout);
    expect(dryReport.result).toBe('refused');
    expect(dryReport.check.findings.map((f: { code: string }) => f.code)).toContain('CLUSTER_MARKED_UNCLAIMED');

    const real = coldfix(['rm', copy.path, 'root2.txt']);
    expect(real.code, real.stdout + real.stderr).toBe(4);
    expect(real.stdout).toMatch(/refused before writing[\s\S]*CLUSTER_MARKED_UNCLAIMED/);
    // Never written (not written and rolled back): same bytes, same mtime, no journal.
    expect(sha256(copy.path)).toBe(hash);
    expect(statSync(copy.path).mtimeMs).toBe(mtime);
    expect(existsSync(`${copy.path}.coldfix-journal`)).toBe(false);
    expect(allocated(copy.path).map((row) => row.split(' ')[0])).toContain('root2.txt');
  });

  it('unlinks one of several hard links by path (istat link count, fls); --all-links removes every name', () => {
    const copy = copyVolume(base);
    copies.push(copy);
    const { record } = reference(copy.path, 'link3.txt');
    const links = (): number => Number(/Links: (\d+)/.exec(execFileSync('istat', [copy.path, String(record)], { encoding: 'utf8' }))![1]);
    const names = (): string[] => flsAllocated(copy.path).filter((l) => flsRecord(l) === record).map((l) => l.split('\t')[1]).sort();
    expect(names()).toEqual(['leaf/link2.txt', 'link3.txt', 'small/link1.txt']);
    expect(links()).toBe(3);
    const one = coldfix(['rm', copy.path, 'link3.txt', '--commit']);
    expect(one.code, one.stdout + one.stderr).toBe(0);
    expect(one.stdout).toMatch(/unlinked \/?link3\.txt.*2 other name\(s\) kept/);
    expect(names()).toEqual(['leaf/link2.txt', 'small/link1.txt']);
    expect(links()).toBe(2);
    expect(ntfsfixDry(copy.path).ok).toBe(true);
    const all = coldfix(['rm', copy.path, 'small/link1.txt', '--all-links', '--commit']);
    expect(all.code, all.stdout + all.stderr).toBe(0);
    expect(names()).toEqual([]);
    expect(ntfsfixDry(copy.path).ok).toBe(true);
  });
});
