/**
 * 512-byte clusters: index blocks (4 KiB) are larger than a cluster, so $I30
 * VCNs count 512-byte units (ntfs-3g index.c). Deleting a whole leaf's worth
 * of names frees INDX blocks; fls, ntfsls, ntfsfix -n and check() must agree.
 */
import { describe, expect, it } from 'vitest';
import { WritableFileSource } from '@coldfix/io';
import { deleteFile } from '../src/write/delete-file.js';
import { checkVolume } from '../src/check/check-volume.js';
import { buildVolume, copyVolume, flsAllocated, ntfsfixDry, ntfslsAll, withMount } from './write-fixtures.js';

const TREE = String.raw`mkdir d; for i in $(seq -w 1 300); do echo $i > "d/some file name $i.txt"; done; head -c 100000 /dev/urandom > big.bin
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
      expect(withMount(work.path, 'rm "d/some file name 200.txt"; ls d | wc -l').trim()).toBe('179');
      expect((await checkVolume(await WritableFileSource.openWritable(work.path))).findings).toEqual([]);
    } finally {
      work.dispose();
    }
  }, 180_000);
});
