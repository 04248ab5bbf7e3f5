/**
 * `ntfs-large` (benchmarks only: `npm run images -- --bench`): a 1 GiB NTFS volume with 200,000
 * small files in 200 directories of 1,000 (`/dNNN/fNNNNNN.txt`, content `file N\n`), for
 * enumeration and lookup throughput against fls / ntfsls. Only counts are recorded, not a file list.
 */
import { join } from 'node:path';
import type { BuildContext, BuildResult, Scenario } from '../scenario.js';
import { forEachLimit } from '../util/content.js';
import { makeNtfs } from '../ntfs/mkntfs.js';
import { withNtfsMount } from '../ntfs/mount.js';
import { ntfsfixCheck } from '../ntfs/inspect.js';
import { TreeWriter } from '../ntfs/tree-writer.js';

const params = { size: 1024 * 1024 * 1024, dirs: 200, perDir: 1000 };

/** Volume path of file `i` of ntfs-large. */
export function largeFilePath(i: number): string {
  return `/d${String(Math.floor(i / params.perDir)).padStart(3, '0')}/f${String(i).padStart(6, '0')}.txt`;
}

export const ntfsLarge: Scenario = {
  name: 'ntfs-large',
  description: 'Benchmark volume: 200,000 small files in 200 directories',
  version: 1,
  params,
  deps: [],
  bench: true,
  async build(ctx: BuildContext): Promise<BuildResult> {
    const image = join(ctx.outDir, 'ntfs-large.img');
    await makeNtfs(image, { size: params.size, label: 'LARGE' });
    const total = params.dirs * params.perDir;
    const t0 = Date.now();
    const counts = await withNtfsMount(image, ctx.mountPoint('large'), async (root) => {
      const w = new TreeWriter(root, false);
      for (let d = 0; d < params.dirs; d++) {
        await w.mkdir(`/d${String(d).padStart(3, '0')}`);
        const ids = Array.from({ length: params.perDir }, (_, k) => d * params.perDir + k);
        await forEachLimit(ids, 8, async (i) => {
          await w.file(largeFilePath(i), Buffer.from(`file ${i}\n`));
        });
        if (d % 20 === 19) ctx.log(`${(d + 1) * params.perDir} / ${total} files, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      }
      await w.finish();
      return { files: w.fileCount, dirs: w.dirCount };
    });
    const fillSeconds = (Date.now() - t0) / 1000;
    await ntfsfixCheck(image);
    return {
      image,
      format: 'raw',
      virtualSize: params.size,
      fileSize: params.size,
      volumes: [
        {
          offset: 0, size: params.size, fs: 'ntfs', label: 'LARGE', clusterSize: 4096, sectorSize: 512,
          fileCount: counts.files, dirCount: counts.dirs, deleted: [],
          notes: { pathPattern: '/dNNN/fNNNNNN.txt (file i in directory floor(i/1000))', content: 'file <i>\\n', fillSeconds },
        },
      ],
    };
  },
};
