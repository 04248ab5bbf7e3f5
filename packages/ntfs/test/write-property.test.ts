/**
 * Property: random sequences of deletes on a generated tree keep check()
 * clean and keep the reader's view (NtfsVolume.walk) equal to ntfs-3g's
 * (`ntfsls -R`) after every step. Bounded runs; the long sweep lives in bench/.
 */
import { afterAll, describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { WritableFileSource } from '@coldfix/io';
import { NtfsVolume } from '../src/volume.js';
import { deleteFile } from '../src/write/delete-file.js';
import { checkVolume } from '../src/check/check-volume.js';
import { buildVolume, copyVolume, flsAllocated, ntfslsAll } from './write-fixtures.js';

/** Directories of 1, 12, 60 and 700 entries (700 gives a multi-level $I30), hard links, a DOS-name pair. */
const TREE = String.raw`
mkdir one; echo 1 > one/single.txt
mkdir twelve; for i in $(seq 1 12); do echo $i > "twelve/t$i.txt"; done
mkdir sixty; for i in $(seq 1 60); do echo $i > "sixty/name with spaces $i.log"; done
mkdir many; for i in $(seq 1 700); do echo $i > "many/entry-$(printf %04d $((i * 7919 % 10007))).dat"; done
echo l > one/linked.txt; ln one/linked.txt many/linked-too.txt
echo d > "Some Long Name.txt"; setfattr -n system.ntfs_dos_name -v "SOMELO~1.TXT" "Some Long Name.txt"
`;

async function ourView(path: string): Promise<string[]> {
  const src = await WritableFileSource.openWritable(path);
  try {
    const volume = await NtfsVolume.open(src);
    const out: string[] = [];
    for await (const e of volume.walk({ recursive: true })) {
      if (e.deleted || e.orphan || e.namespace === 'dos') continue;
      if (e.path.split('/').some((c) => c.startsWith('$'))) continue;
      out.push(e.path.replace(/^\/+/, ''));
    }
    return out.sort();
  } finally {
    await src.close();
  }
}

describe('random delete sequences (property, checked against ntfs-3g)', () => {
  let base: string;
  let files: string[];
  // Runs are awaited one by one (no time limit: every stated run happens); still wait for any run left in
  // flight by a failure so that its finally block (close the file, remove the scratch copy) runs before the file ends.
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(run: () => Promise<T>): Promise<T> => {
    const p = run();
    inflight.add(p);
    void p.then(() => inflight.delete(p), () => inflight.delete(p));
    return p;
  };
  afterAll(async () => {
    await Promise.allSettled([...inflight]);
  });
  beforeAll(() => {
    base = buildVolume('property', { sizeMiB: 32, tree: TREE });
    files = ntfslsAll(base).filter((p) => /\.(txt|log|dat)$/.test(p) && !p.startsWith('$'));
  });

  it('keeps check() clean and our listing equal to ntfsls -R after every delete', async () => {
    expect(files.length).toBeGreaterThan(700);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          // scattered deletes anywhere in the tree
          fc.record({ mode: fc.constant('scatter' as const), picks: fc.array(fc.nat(), { minLength: 1, maxLength: 10 }) }),
          // a run of neighbours in the 700-entry directory: empties leaves and frees INDX blocks
          fc.record({ mode: fc.constant('run' as const), start: fc.nat(), length: fc.integer({ min: 10, max: 40 }) }),
        ),
        (plan) => track(async () => {
        const work = copyVolume(base);
        try {
          const many = files.filter((f) => f.startsWith('many/')).sort();
          const order: string[] = [];
          if (plan.mode === 'run') {
            const at = plan.start % many.length;
            order.push(...many.slice(at, at + plan.length));
          }
          const removed = new Set<string>();
          const src = await WritableFileSource.openWritable(work.path);
          try {
            const steps = plan.mode === 'run' ? order.map((_, i) => i) : plan.picks;
            for (const p of steps) {
              const left = files.filter((f) => !removed.has(f));
              if (!left.length) break;
              const target = plan.mode === 'run' ? order[p] : left[p % left.length];
              await deleteFile(src, `/${target}`);
              removed.add(target);
              if (target.endsWith('linked.txt') || target.endsWith('linked-too.txt')) removed.add('one/linked.txt').add('many/linked-too.txt');
              if (plan.mode === 'scatter' || p % 8 === 7 || p === steps.length - 1) {
                const check = await checkVolume(src);
                expect(check.findings, `after deleting ${[...removed].join(', ')}`).toEqual([]);
              }
            }
          } finally {
            await src.close();
          }
          const theirs = ntfslsAll(work.path).filter((p) => !p.split('/').some((c) => c.startsWith('$')));
          expect(await ourView(work.path)).toEqual(theirs);
          // The Sleuth Kit reads every INDX block, allocated or not: it must agree too.
          const tsk = flsAllocated(work.path).map((l) => l.split('\t')[1]).filter((p) => !p.includes(':') && !p.split('/').some((c) => c.startsWith('$'))).sort();
          expect(tsk).toEqual(theirs);
          for (const r of removed) expect(theirs).not.toContain(r);
        } finally {
          work.dispose();
        }
        })),
      { numRuns: 6 },
    );
  }, 600_000);
});
