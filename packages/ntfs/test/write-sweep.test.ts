/**
 * Heavy sweep, off by default (COLDFIX_SWEEP=1): a 50,000-entry directory
 * (a 3+ level $I30 tree), 300 scattered deletes and a run of 400 neighbours,
 * check() along the way, then fls, ntfsls and ntfsfix -n against the result.
 */
import { describe, expect, it } from 'vitest';
import { WritableFileSource } from '@coldfix/io';
import { deleteFile } from '../src/write/delete-file.js';
import { checkVolume } from '../src/check/check-volume.js';
import { buildVolume, copyVolume, flsAllocated, ntfsfixDry, ntfslsAll } from './write-fixtures.js';

const N = 50_000;
const TREE = String.raw`mkdir huge; cd huge; seq -w 1 ${N} | sed 's/^/entry with a longish name /; s/$/.bin/' | tr '\n' '\0' | xargs -0 touch`;

// Opt-in (not an oracle): reported as skipped with the reason when COLDFIX_SWEEP is unset.
(process.env.COLDFIX_SWEEP === '1' ? describe : describe.skip)(`sweep: 50,000-entry directory${process.env.COLDFIX_SWEEP === '1' ? '' : ' (skipped: opt-in, set COLDFIX_SWEEP=1)'}`, () => {
  it('keeps every tool and check() consistent over 700 deletes', async () => {
    const t0 = Date.now();
    const base = buildVolume('sweep', { sizeMiB: 256, tree: TREE });
    const built = Date.now() - t0;
    const work = copyVolume(base);
    try {
      const names = Array.from({ length: N }, (_, i) => `huge/entry with a longish name ${String(i + 1).padStart(5, '0')}.bin`);
      const victims = new Set<string>();
      let seed = 12345;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      while (victims.size < 300) victims.add(names[Math.floor(rnd() * N)]);
      for (let i = 20000; i < 20400; i++) victims.add(names[i]);
      const s = await WritableFileSource.openWritable(work.path);
      const t1 = Date.now();
      let n = 0;
      try {
        for (const v of victims) {
          await deleteFile(s, `/${v}`);
          if (++n % 100 === 0) expect((await checkVolume(s)).findings, `after ${n}`).toEqual([]);
        }
        expect((await checkVolume(s)).findings).toEqual([]);
      } finally {
        await s.close();
      }
      const deleting = Date.now() - t1;
      const fls = new Set(flsAllocated(work.path).map((l) => l.split('\t')[1]).filter((p) => p.startsWith('huge/')));
      const ls = ntfslsAll(work.path).filter((p) => p.startsWith('huge/'));
      expect(fls.size).toBe(N - victims.size);
      expect(ls).toHaveLength(N - victims.size);
      for (const v of victims) expect(fls.has(v)).toBe(false);
      expect(ntfsfixDry(work.path).ok).toBe(true);
      process.stderr.write(`sweep: built in ${built} ms; ${victims.size} deletes + checks in ${deleting} ms\n`);
    } finally {
      work.dispose();
    }
  }, 1_800_000);
});
