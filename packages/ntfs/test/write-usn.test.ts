/**
 * A real Windows 10/11 volume (dissect.ntfs ntfs-cloud.bin, read from
 * ../shared/fixtures/real at test time, never copied into the repo): gates
 * refuse it (its $LogFile is open: unclean; version 2.0 is not hibernation);
 * with the log reset, deleting OneDrive cloud files (reparse points, object
 * ids) removes their $Reparse / $ObjId entries and appends a USN_REASON_FILE_DELETE
 * record to $UsnJrnl:$J; fls, ntfsls and check() agree afterwards.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { WritableFileSource } from '@coldfix/io';
import { assertWritable, checkWriteGates, resetLogFile } from '../src/gates/write-gates.js';
import { deleteFile, deleteFiles } from '../src/write/delete-file.js';
import { checkVolume } from '../src/check/check-volume.js';
import { RecordStore } from '../src/record/record-store.js';
import { WriteTxn } from '../src/write/txn.js';
import { resolvePath } from '../src/write/resolve-path.js';
import { attributeData } from '../src/record/attribute-data.js';
import { AttrType } from '../src/record/record-bytes.js';
import { decodeUsnRecordV2 } from '../src/write/usn-record.js';
import { copyVolume, flsAllocated } from './write-fixtures.js';
import { fixture } from './helpers/fixtures.js';
import { describeWith, itWith, missingFixtures, missingTools } from '@coldfix/test-support';

const CLOUD = 'fox-it-dissect.ntfs/ntfs-cloud.bin.gz';
/** The verified decompressed copy of ntfs-cloud.bin (each test copies it again: no order between tests). */
const cloudImage = () => fixture(CLOUD);

/** One `usnjls` row (The Sleuth Kit, independent of our USN decoder): `file-seq parent-seq secs.ns REASONS\tname`. */
interface UsnRow { record: number; parent: number; seconds: number; reasons: string[]; name: string }
function usnjls(image: string): UsnRow[] {
  return execFileSync('usnjls', [image], { encoding: 'utf8', maxBuffer: 1 << 26 }).split('\n').filter(Boolean).map((line) => {
    const m = /^(\d+)-\d+\t(\d+)-\d+\t(\d+)\.\d+\t(.*?)\s*\t(.*)$/.exec(line);
    if (!m) throw new Error(`usnjls row not understood: ${JSON.stringify(line)}`);
    return { record: Number(m[1]), parent: Number(m[2]), seconds: Number(m[3]), reasons: m[4].trim().split(/\s+/).sort(), name: m[5] };
  });
}

/**
 * The fixture stops one sector short of its partition: the last sector, where Windows keeps the
 * backup boot sector, is missing (ntfsfix -n: "Failed to fix the alternate boot sector"; check()
 * says BOOT_BACKUP_MISSING). The private copy gets it back (a copy of the primary), as the partition had it.
 */
function withBackupBoot<T extends { path: string }>(work: T): T {
  execFileSync('bash', ['-c', 'dd if="$1" bs=512 count=1 status=none >> "$1"', 'x', work.path]);
  return work;
}

async function journalTail(s: WritableFileSource): Promise<{ size: number; bytes: Uint8Array }> {
  const vol = await RecordStore.open(s);
  const { record } = await resolvePath(new WriteTxn(vol), '/$Extend/$UsnJrnl', await vol.upcase());
  const j = attributeData(vol, await vol.extents(record), AttrType.data, '$J');
  const from = Math.max(0, j.size - 4096);
  return { size: j.size, bytes: await j.read(from, j.size - from) };
}

describeWith(missingFixtures(CLOUD))('delete on a Windows-made volume with $UsnJrnl, $ObjId and $Reparse', () => {
  itWith(missingTools('usnjls', 'fls', 'ifind', 'ntfsls'))('refuses, then after the reset deletes cloud files, appends USN records (read back by usnjls too), and stays consistent', async () => {
    const work = withBackupBoot(copyVolume(cloudImage()));
    try {
      const before = flsAllocated(work.path);
      // Independent of our code: the records (ifind) and the USN rows already there (usnjls).
      const ifind = (p: string) => Number(execFileSync('ifind', ['-n', p, work.path], { encoding: 'utf8' }).trim().split('-')[0]);
      const [rec1, rec2] = [ifind('/OneDrive/example.txt'), ifind('/OneDrive/always-keep-on-device.txt')];
      const usnBefore = usnjls(work.path);
      const s = await WritableFileSource.openWritable(work.path);
      try {
        expect((await checkWriteGates(s)).map((g) => g.gate).sort()).toEqual(['logfile-unclean']);
        await expect(assertWritable(s)).rejects.toMatchObject({ code: 'NTFS_GATE_LOGFILE_UNCLEAN' });
        expect((await assertWritable(s, { forceUncleanLog: true })).overridden.map((g) => g.gate)).toEqual(['logfile-unclean']);
        // The test goes on past the gate on purpose: the structures are what is under test here.
        await resetLogFile(s);
        const j0 = await journalTail(s);
        const r1 = await deleteFile(s, '/OneDrive/example.txt', { now: new Date('2026-01-02T03:04:05Z') });
        const r2 = await deleteFile(s, '/OneDrive/always-keep-on-device.txt');
        expect([r1.usnAppended, r2.usnAppended]).toEqual([true, true]);
        const j1 = await journalTail(s);
        expect(j1.size).toBeGreaterThan(j0.size);
        // Walk the records appended after the old end.
        const tail = j1.bytes.subarray(j1.bytes.length - (j1.size - j0.size));
        const recs = [];
        for (let at = 0; at < tail.length; ) {
          const r = decodeUsnRecordV2(tail, at);
          if (!r) { at = (Math.floor(at / 4096) + 1) * 4096; continue; }
          recs.push(r);
          at += r.length;
        }
        expect(recs.map((r) => [r.name, r.reason, Number(r.fileReference & 0xffffffffffffn), Number(r.parentReference & 0xffffffffffffn)])).toEqual([
          ['example.txt', 0x80000200, r1.record, 38],
          ['always-keep-on-device.txt', 0x80000200, r2.record, 38],
        ]);
        expect(recs[0].usn).toBeGreaterThanOrEqual(BigInt(j0.size));
        expect(recs[0].timestamp).toBe((BigInt(Date.parse('2026-01-02T03:04:05Z')) + 11644473600000n) * 10000n);
        expect(await checkVolume(s)).toEqual({ clean: true, findings: [] });
      } finally {
        await s.close();
      }
      const after = flsAllocated(work.path);
      const gone = (l: string) => /OneDrive\/(example\.txt|always-keep-on-device\.txt)(:|$)/.test(l.split('\t')[1]);
      expect(after.sort()).toEqual(before.filter((l) => !gone(l)).sort());
      // ntfsls -R does not descend into the OneDrive reparse directory: list it directly.
      const ls = execFileSync('ntfsls', ['-p', '/OneDrive', work.path], { encoding: 'utf8' }).split('\n');
      expect(ls).not.toContain('example.txt');
      expect(ls).not.toContain('always-keep-on-device.txt');
      expect(ls).toContain('created-online.txt');
      expect(execFileSync('fls', ['-r', '-p', '-d', work.path], { encoding: 'utf8' })).toMatch(/OneDrive\/example\.txt/);
      // The Sleuth Kit's usnjls reads the journal: exactly two rows added, after the ones already there,
      // each FILE_DELETE|CLOSE (0x80000200) for the file's record under its parent (38, /OneDrive).
      const usnAfter = usnjls(work.path);
      expect(usnAfter.slice(0, usnBefore.length)).toEqual(usnBefore);
      expect(usnAfter.slice(usnBefore.length).map((r) => [r.name, r.reasons, r.record, r.parent])).toEqual([
        ['example.txt', ['CLOSE', 'FILE_DELETE'], rec1, 38],
        ['always-keep-on-device.txt', ['CLOSE', 'FILE_DELETE'], rec2, 38],
      ]);
      expect(usnAfter[usnBefore.length].seconds).toBe(Date.parse('2026-01-02T03:04:05Z') / 1000);
    } finally {
      work.dispose();
    }
  }, 180_000);

  it('one batch (deleteFiles) deleting both files: each USN record after the other, one write per structure, consistent', async () => {
    const work = withBackupBoot(copyVolume(cloudImage()));
    try {
      const before = flsAllocated(work.path);
      const s = await WritableFileSource.openWritable(work.path);
      try {
        await resetLogFile(s);
        const j0 = await journalTail(s);
        const { files, changes } = await deleteFiles(s, ['/OneDrive/example.txt', '/OneDrive/always-keep-on-device.txt']);
        expect(files.map((f) => f.usnAppended)).toEqual([true, true]);
        // Both deletes edit the same directory record and bitmaps: each structure is written once.
        const written = changes.map((c) => `${c.what}@${c.offset}`);
        expect(new Set(written).size).toBe(written.length);
        const j1 = await journalTail(s);
        const tail = j1.bytes.subarray(j1.bytes.length - (j1.size - j0.size));
        const recs = [];
        for (let at = 0; at < tail.length; ) {
          const r = decodeUsnRecordV2(tail, at);
          if (!r) { at = (Math.floor(at / 4096) + 1) * 4096; continue; }
          recs.push(r);
          at += r.length;
        }
        expect(recs.map((r) => [r.name, Number(r.fileReference & 0xffffffffffffn)])).toEqual([
          ['example.txt', files[0].record],
          ['always-keep-on-device.txt', files[1].record],
        ]);
        expect(recs[1].usn).toBeGreaterThan(recs[0].usn);
        expect(await checkVolume(s)).toEqual({ clean: true, findings: [] });
      } finally {
        await s.close();
      }
      const gone = (l: string) => /OneDrive\/(example\.txt|always-keep-on-device\.txt)(:|$)/.test(l.split('\t')[1]);
      expect(flsAllocated(work.path).sort()).toEqual(before.filter((l) => !gone(l)).sort());
    } finally {
      work.dispose();
    }
  }, 120_000);

  it('check() flags the $Reparse entry of a record freed without cleaning it', async () => {
    const work = withBackupBoot(copyVolume(cloudImage()));
    try {
      const s = await WritableFileSource.openWritable(work.path);
      try {
        const vol = await RecordStore.open(s);
        const txn = new WriteTxn(vol);
        const { record } = await resolvePath(txn, '/OneDrive/example.txt', await vol.upcase());
        const rec = await txn.record(record);
        rec[0x16] &= ~1;
        txn.touchRecord(record);
        await txn.commit(s, false);
        const r = await checkVolume(s);
        expect(r.findings).toContainEqual(expect.objectContaining({ code: 'REPARSE_INDEX_STALE', records: [expect.any(Number), record] }));
      } finally {
        await s.close();
      }
    } finally {
      work.dispose();
    }
  }, 120_000);
});
