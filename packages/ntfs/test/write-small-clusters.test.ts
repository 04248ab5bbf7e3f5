/**
 * 512-byte clusters: index blocks (4 KiB) are larger than a cluster, so $I30
 * VCNs count 512-byte units (ntfs-3g index.c). Deleting a whole leaf's worth
 * of names frees INDX blocks; fls, ntfsls, ntfsfix -n and check() must agree.
 */
import { describe, expect, it } from 'vitest';
import { WritableFileSource } from '@coldfix/io';
import { deleteFile } from '../src/write/delete-file.js';
import { checkVolume } from '../src/check/check-volume.js';
import { RecordStore } from '../src/record/record-store.js';
import { WriteTxn } from '../src/write/txn.js';
import { DirIndex } from '../src/write/dir-index.js';
import { resolvePath } from '../src/write/resolve-path.js';
import { buildVolume, copyVolume, flsAllocated, ntfsfixDry, ntfslsAll, withMount } from './write-fixtures.js';

const TREE = String.raw`mkdir d; for i in $(seq -w 1 300); do echo $i > "d/some file name $i.txt"; done; head -c 100000 /dev/urandom > big.bin
mkdir shrink; for i in $(seq -w 1 60); do echo $i > "shrink/entry number $i.txt"; done
mkdir cases; echo a > cases/Case.txt; echo b > cases/case.txt; echo c > cases/CASE.TXT; for i in $(seq 1 40); do echo $i > "cases/f$i"; done`;

describe('deleteFile with 512-byte clusters', () => {
  it('empties and frees index blocks (VCNs in 512-byte units); tools agree', async () => {
    const base = buildVolume('small-clusters', { clusterSize: 512, sizeMiB: 16, tree: TREE });
    const work = copyVolume(base);
    try {
      const victims = Array.from({ length: 120 }, (_, i) => `d/some file name ${String(i + 1).padStart(3, '0')}.txt`);
      const s = await WritableFileSource.openWritable(work.path);
      try {
        for (const v of victims) await deleteFile(s, `/${v}`);
        // Every name of a directory with INDX blocks: the blocks are freed and the root becomes a leaf again.
        const shape = async () => {
          const vol = await RecordStore.open(s);
          const txn = new WriteTxn(vol);
          const index = await DirIndex.open(txn, (await resolvePath(txn, '/shrink', await vol.upcase())).record);
          return { large: index.editor.root.hasChildren, bits: [...((await index.allocationBitmap()) ?? [])].some((b) => b !== 0) };
        };
        expect(await shape()).toEqual({ large: true, bits: true });
        for (let i = 1; i <= 60; i++) await deleteFile(s, `/shrink/entry number ${String(i).padStart(2, '0')}.txt`);
        expect(await shape()).toEqual({ large: false, bits: false });
        // POSIX names that differ only in case: the exact one goes, its case-twins stay.
        await deleteFile(s, '/cases/case.txt');
        const r = await deleteFile(s, '/big.bin');
        expect(r.clustersFreed).toBe(Math.ceil(100000 / 512));
        expect((await checkVolume(s)).findings).toEqual([]);
      } finally {
        await s.close();
      }
      const fls = flsAllocated(work.path).map((l) => l.split('\t')[1]);
      for (const v of victims) expect(fls).not.toContain(v);
      expect(fls.filter((p) => p.startsWith('d/'))).toHaveLength(180);
      expect(ntfslsAll(work.path).filter((p) => p.startsWith('d/'))).toHaveLength(180);
      const cases = ntfslsAll(work.path).filter((p) => /^cases\/case\.txt$/i.test(p));
      expect(cases.sort()).toEqual(['cases/CASE.TXT', 'cases/Case.txt']);
      expect(ntfsfixDry(work.path).ok).toBe(true);
      expect(ntfslsAll(work.path).filter((p) => p.startsWith('shrink/'))).toEqual([]);
      expect(withMount(work.path, 'rm "d/some file name 200.txt"; ls d | wc -l').trim()).toBe('179');
      // ntfs-3g fills the emptied directory again (it grows the root back into the kept $INDEX_ALLOCATION).
      expect(withMount(work.path, 'for i in $(seq 1 80); do echo $i > "shrink/again $i"; done; ls shrink | wc -l').trim()).toBe('80');
      expect(ntfsfixDry(work.path).ok).toBe(true);
      const again = await WritableFileSource.openWritable(work.path);
      try {
        expect((await checkVolume(again)).findings).toEqual([]);
      } finally {
        await again.close();
      }
    } finally {
      work.dispose();
    }
  }, 180_000);
});
