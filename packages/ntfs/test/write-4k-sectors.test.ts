/**
 * deleteFile on a volume with 4096-byte sectors (`mkntfs -s 4096`, as Windows
 * formats 4Kn disks): 4096-byte MFT records and index blocks whose update
 * sequence arrays still step every 512 bytes (9 entries). Also deleting by
 * `{ record, sequence }` a file whose name holds a `\` (no path can name it).
 * Oracles: fls -r -p, ntfsls -R, ntfsfix -n, istat (sequence), tsk_recover/icat
 * bytes of every other file; and our own checkVolume.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WritableFileSource } from '@coldfix/io';
import { deleteFile, type DeleteTarget } from '../src/write/delete-file.js';
import { checkVolume } from '../src/check/check-volume.js';
import { RecordStore } from '../src/record/record-store.js';
import { buildVolume, copyVolume, flsAllocated, ntfsfixDry, ntfslsAll, TREE } from './write-fixtures.js';
import { forEachTskStream } from './helpers/oracle.js';

const BACKSLASH = 'back\\slash name.txt';
const TREE_4K = `${TREE}\necho 'backslash' > '${BACKSLASH}'; echo 'keep me' > 'back'`;

async function withSource<T>(img: string, fn: (s: WritableFileSource) => Promise<T>): Promise<T> {
  const s = await WritableFileSource.openWritable(img);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** sha256 of every allocated file and named stream, by path, from The Sleuth Kit (tsk_recover, icat). */
async function tskHashes(img: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  await forEachTskStream(img, [], async (row, _stream, bytes) => {
    map.set(row.path, createHash('sha256').update(bytes).digest('hex'));
  });
  return map;
}

/** The sequence number istat reports for an MFT entry. */
function istatSequence(img: string, record: number): number {
  const m = /Sequence: (\d+)/.exec(execFileSync('istat', [img, String(record)], { encoding: 'utf8' }));
  if (!m) throw new Error(`istat ${record}: no sequence`);
  return Number(m[1]);
}

describe('deleteFile on 4096-byte-sector volumes', () => {
  it('deletes through 512-byte update-sequence strides; fls, ntfsls, ntfsfix -n, icat and check() agree', async () => {
    const base = buildVolume('sectors-4k', { clusterSize: 4096, sectorSize: 4096, sizeMiB: 64, big: 600, tree: TREE_4K });
    const work = copyVolume(base);
    try {
      // The premise, from the image itself: 4096-byte sectors and records, a 9-entry array in record 0.
      const boot = execFileSync('ntfsinfo', ['-m', work.path], { encoding: 'utf8' });
      expect(boot).toMatch(/Sector Size: 4096/);
      expect(boot).toMatch(/MFT Record Size: 4096/);
      const fls0 = flsAllocated(work.path);
      const line = fls0.find((l) => l.endsWith(`\t${BACKSLASH}`));
      expect(line).toBeDefined();
      const bsRecord = Number(/^\S+ (\d+)-/.exec(line!)![1]);
      const bsSequence = istatSequence(work.path, bsRecord);
      const before = await tskHashes(work.path);

      const victims = ['a.txt', 'leaf/file 017.txt', 'frag.bin', 'comp/c.txt', 'sparse.bin', 'ads.txt', 'link3.txt', 'Long Name For Dos.txt', 'alist.txt', 'deep/a/b/c/d.txt',
        ...Array.from({ length: 60 }, (_, i) => `big/a fairly long file name to fill index blocks ${String(i + 101).padStart(3, '0')}.dat`)];
      await withSource(work.path, async (s) => {
        const vol = await RecordStore.open(s);
        expect(vol.geometry).toMatchObject({ sectorSize: 4096, recordSize: 4096, indexBlockSize: 4096 });
        expect((await checkVolume(s)).findings).toEqual([]);
        for (const v of victims) await deleteFile(s, `/${v}`);

        // No path can name the backslash file (the separator splits it) ...
        await expect(deleteFile(s, `/${BACKSLASH}`)).rejects.toMatchObject({ code: 'NTFS_PATH_NOT_FOUND' });
        // ... its reference can: a stale sequence is refused, the right one deletes it, and then it is gone.
        const wrong: DeleteTarget = { record: bsRecord, sequence: bsSequence + 1 };
        await expect(deleteFile(s, wrong)).rejects.toMatchObject({ code: 'NTFS_SEQUENCE_MISMATCH', details: { expected: bsSequence + 1, found: bsSequence } });
        const r = await deleteFile(s, { record: bsRecord, sequence: bsSequence });
        expect(r).toMatchObject({ path: `#${bsRecord}`, record: bsRecord, sequence: bsSequence, names: [BACKSLASH] });
        await expect(deleteFile(s, { record: bsRecord, sequence: bsSequence })).rejects.toMatchObject({ code: 'NTFS_RECORD_NOT_IN_USE' });
        // Metadata stays out of reach by reference too: a system record, and a file under $Extend.
        await expect(deleteFile(s, { record: 11, sequence: 11 })).rejects.toMatchObject({ code: 'NTFS_DELETE_SYSTEM_FILE' });
        const objId = fls0.find((l) => l.endsWith('\t$Extend/$ObjId:$O'));
        const objIdRecord = Number(/^\S+ (\d+)-/.exec(objId!)![1]);
        expect(objIdRecord).toBeGreaterThanOrEqual(24);
        await expect(deleteFile(s, { record: objIdRecord, sequence: istatSequence(work.path, objIdRecord) })).rejects.toMatchObject({ code: 'NTFS_DELETE_SYSTEM_FILE' });
        await expect(deleteFile(s, { record: 1 << 30, sequence: 1 })).rejects.toMatchObject({ code: 'NTFS_RECORD_OUT_OF_RANGE' });
        expect((await checkVolume(s)).findings).toEqual([]);
      });
      const gone = new Set([...victims, 'small/link1.txt', 'leaf/link2.txt', BACKSLASH]);

      expect(istatSequence(work.path, bsRecord)).toBe(bsSequence + 1);
      const fls1 = flsAllocated(work.path).map((l) => l.split('\t')[1]);
      const expected = fls0.map((l) => l.split('\t')[1]).filter((p) => !gone.has(p.replace(/:[^/]*$/, '')));
      expect(fls1.sort()).toEqual(expected.sort());
      const ls = ntfslsAll(work.path);
      for (const v of gone) expect(ls).not.toContain(v);
      expect(ls).toContain('back');
      expect(ntfsfixDry(work.path)).toMatchObject({ ok: true });
      const after = await tskHashes(work.path);
      const survivors = [...before].filter(([p]) => !gone.has(p.replace(/:[^/]*$/, '')) && !p.startsWith('$'));
      expect(survivors.length).toBeGreaterThan(700);
      for (const [p, h] of survivors) expect(after.get(p), p).toBe(h);
    } finally {
      work.dispose();
    }
  }, 900_000); // builds its volume (mkntfs + FUSE) inside the test: slow on a loaded 2-core machine
});
