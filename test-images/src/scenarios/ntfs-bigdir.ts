/**
 * `ntfs-bigdir`: large directories whose $I30 index is a B+ tree two or more levels deep
 * (20,000 and 50,000 entries, created in a shuffled order with mixed-case and accented names so
 * that $UpCase collation matters), plus directories small enough to live in $INDEX_ROOT only.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildContext, BuildResult, Scenario } from '../scenario.js';
import { forEachLimit, Prng } from '../util/content.js';
import { makeNtfs } from '../ntfs/mkntfs.js';
import { withNtfsMount } from '../ntfs/mount.js';
import { TreeWriter } from '../ntfs/tree-writer.js';
import { istat, inodeOf, ntfsfixCheck } from '../ntfs/inspect.js';

const MiB = 1024 * 1024;
const params = { size: 512 * MiB, dirs: [{ path: '/big20k', entries: 20_000, empty: false }, { path: '/big50k', entries: 50_000, empty: true }], smallDirs: 20 };
const EMPTY = new Uint8Array(0);
const PREFIXES = ['alpha', 'Beta', 'gamma', 'DELTA', 'épsilon', 'Zeta', 'eta', 'THETA', 'ιώτα', 'kappa'];

/** Name of entry `i` in a big directory. */
export function bigdirName(i: number): string {
  return `${PREFIXES[i % PREFIXES.length]}-${String(i).padStart(6, '0')}.txt`;
}

export const ntfsBigdir: Scenario = {
  name: 'ntfs-bigdir',
  description: 'Bare NTFS volume with directories of 20,000 and 50,000 entries (multi-level $I30) and index-root-only directories',
  version: 2,
  params,
  deps: [],
  async build(ctx: BuildContext): Promise<BuildResult> {
    const image = join(ctx.outDir, 'ntfs-bigdir.img');
    await makeNtfs(image, { size: params.size, label: 'BIGDIR' });
    const r = await withNtfsMount(image, ctx.mountPoint('bigdir'), async (root) => {
      const w = new TreeWriter(root);
      for (const d of params.dirs) {
        await w.mkdir(d.path);
        const order = Array.from({ length: d.entries }, (_, i) => i);
        const prng = new Prng(d.entries);
        for (let i = order.length - 1; i > 0; i--) {
          const j = prng.next() % (i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        const t0 = Date.now();
        await forEachLimit(order, 8, (i) => w.file(`${d.path}/${bigdirName(i)}`, d.empty ? EMPTY : Buffer.from(`entry ${i}\n`)).then(() => undefined));
        ctx.log(`${d.path}: ${d.entries} entries in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
      await w.mkdir('/small');
      for (let k = 0; k < params.smallDirs; k++) {
        await w.mkdir(`/small/dir${k}`);
        for (let f = 0; f < (k % 4); f++) await w.file(`/small/dir${k}/f${f}.txt`, Buffer.from(`small ${k}/${f}\n`));
      }
      return { ...(await w.finish()), fileCount: w.fileCount, dirCount: w.dirCount };
    });
    // Confirm with istat that the big directories use $INDEX_ALLOCATION and the small ones do not.
    const notes: Record<string, unknown> = { directories: {} as Record<string, unknown> };
    for (const d of params.dirs) {
      const text = await istat(image, await inodeOf(image, d.path));
      if (!/\$INDEX_ALLOCATION/.test(text)) throw new Error(`${d.path} has no $INDEX_ALLOCATION`);
      (notes['directories'] as Record<string, unknown>)[d.path] = { entries: d.entries, indexAllocationSize: Number(/\$INDEX_ALLOCATION \(160-\d+\)\s+Name: \$I30\s+Non-Resident\s+size: (\d+)/.exec(text)?.[1] ?? 0) };
    }
    const smallText = await istat(image, await inodeOf(image, '/small/dir3'));
    if (/\$INDEX_ALLOCATION/.test(smallText)) throw new Error('/small/dir3 has an $INDEX_ALLOCATION');
    await ntfsfixCheck(image);
    const filesPath = join(ctx.outDir, 'files.json');
    await writeFile(filesPath, JSON.stringify(r.files));
    return {
      image,
      format: 'raw',
      virtualSize: params.size,
      fileSize: params.size,
      volumes: [
        { offset: 0, size: params.size, fs: 'ntfs', label: 'BIGDIR', clusterSize: 4096, sectorSize: 512, filesPath, deleted: r.deleted, fileCount: r.fileCount, dirCount: r.dirCount, notes },
      ],
    };
  },
};
