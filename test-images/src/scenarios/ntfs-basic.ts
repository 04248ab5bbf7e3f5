/**
 * `ntfs-basic`: a bare 128 MiB NTFS volume (mkntfs -T, 4 KiB clusters, 1 KiB records) holding one small
 * tree per NTFS feature a reader must get right. Every entry is written through ntfs-3g FUSE; features
 * that depend on ntfs-3g's allocator (fragmentation, attribute lists, compression) are confirmed with
 * istat before they are recorded.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileFact, VolumeFacts } from '../catalog.js';
import type { BuildContext, BuildResult, Scenario } from '../scenario.js';
import { randomBytes, textBytes } from '../util/content.js';
import { filetime } from '../ntfs/filetime.js';
import { makeNtfs } from '../ntfs/mkntfs.js';
import { withNtfsMount } from '../ntfs/mount.js';
import { TreeWriter } from '../ntfs/tree-writer.js';
import { FileAttribute } from '../ntfs/xattr.js';
import { run } from '../util/run.js';
import { firstLcnByName } from '../ntfs/filler-lcns.js';
import { countRuns, hasAttributeList, inodeOf, istat, ntfsfixCheck } from '../ntfs/inspect.js';

const MiB = 1024 * 1024;
const params = { size: 128 * MiB, clusterSize: 4096, label: 'BASIC', fillerSize: 64 * 1024, maxFillers: 4000 };

/** Long (255 UTF-16 units) name. */
export const LONG_NAME = `${'L'.repeat(120)}-${'n'.repeat(130)}.txt`;

async function writeTree(w: TreeWriter): Promise<void> {
  const t = (iso: string, ticks = 0) => filetime(iso, ticks);
  await w.file('/empty.txt', new Uint8Array(0), { tags: ['empty'] });
  await w.file('/resident.txt', textBytes(300, 'resident data '), { tags: ['resident'] });
  await w.file('/nonresident.bin', randomBytes(20_000, 'nonresident'), { tags: ['non-resident'] });
  await w.file('/large.bin', randomBytes(8 * MiB, 'large'), { tags: ['non-resident', 'large'] });
  await w.file(
    '/sparse.bin',
    {
      // Logical size below the volume size: TSK rejects a sparse run longer than the volume.
      size: 64 * MiB,
      extents: [
        { offset: 0, data: randomBytes(64 * 1024, 'sparse-a') },
        { offset: 40 * MiB, data: randomBytes(4096, 'sparse-b') },
        { offset: 64 * MiB - 4096, data: randomBytes(4096, 'sparse-c') },
      ],
    },
    { tags: ['sparse'] },
  );

  await w.mkdir('/compressed');
  await w.addDirAttributes('/compressed', FileAttribute.compressed);
  await w.file('/compressed/compressible.txt', textBytes(1 * MiB), { tags: ['compressed'] });
  await w.file('/compressed/incompressible.bin', randomBytes(256 * 1024, 'incompressible'), { tags: ['compressed'] });
  await w.file('/compressed/small.txt', textBytes(200, 'small '), { tags: ['compressed', 'resident'] });

  await w.file('/streams.txt', textBytes(100, 'main stream '), {
    streams: [
      { name: 'Zone.Identifier', data: Buffer.from('[ZoneTransfer]\r\nZoneId=3\r\n') },
      { name: 'big', data: randomBytes(20_000, 'ads-big') },
    ],
    tags: ['ads'],
  });
  await w.mkdir('/adsdir', { streams: [{ name: 'dirstream', data: Buffer.from('stream on a directory') }], tags: ['ads'] });
  await w.file('/adsdir/inside.txt', textBytes(50, 'inside '));

  await w.mkdir('/links');
  await w.mkdir('/links/sub');
  await w.file('/links/original.txt', textBytes(5000, 'hard linked '), { tags: ['hardlink'] });
  await w.link('/links/original.txt', '/links/hardlink1.txt');
  await w.link('/links/original.txt', '/links/sub/hardlink2.txt');

  await w.file('/Long File Name With Spaces.txt', textBytes(10, 'dos '), { dosName: 'LONGFI~1.TXT', tags: ['dos-name'] });
  await w.mkdir('/Program Files Folder', { dosName: 'PROGRA~1', tags: ['dos-name'] });
  await w.file(`/${LONG_NAME}`, textBytes(30, 'long name '), { tags: ['long-name'] });

  await w.mkdir('/unicode');
  for (const n of ['日本語ファイル.txt', 'café-naïve-Ünïcödé.txt', 'emoji-😀🎉.txt', 'Кириллица.txt', '中文目录'])
    if (n.includes('.')) await w.file(`/unicode/${n}`, Buffer.from(`name: ${n}\n`, 'utf8'), { tags: ['unicode'] });
    else await w.mkdir(`/unicode/${n}`, { tags: ['unicode'] });
  await w.file('/unicode/中文目录/𠜎-supplementary.txt', Buffer.from('CJK extension B\n', 'utf8'), { tags: ['unicode'] });

  await w.mkdir('/case');
  await w.file('/case/a.txt', Buffer.from('lower\n'), { tags: ['posix-namespace'] });
  await w.file('/case/A.txt', Buffer.from('UPPER\n'), { tags: ['posix-namespace'] });

  let deep = '/deep';
  await w.mkdir(deep);
  for (let i = 1; i <= 24; i++) {
    deep += `/d${String(i).padStart(2, '0')}`;
    await w.mkdir(deep);
  }
  await w.file(`${deep}/leaf.txt`, Buffer.from('at depth 25\n'), { tags: ['deep'] });

  await w.mkdir('/times', {
    times: { creation: t('2001-09-09T01:46:40Z'), lastWrite: t('2001-09-09T01:46:40Z'), lastAccess: t('2001-09-09T01:46:40Z') },
  });
  await w.file('/times/pre1970.txt', Buffer.from('before the Unix epoch\n'), {
    times: { creation: t('1969-07-20T20:17:40.000Z', 1234), lastWrite: t('1960-01-01T00:00:00Z'), lastAccess: t('1969-12-31T23:59:59.999Z', 9999) },
    tags: ['times', 'pre-1970'],
  });
  await w.file('/times/subsecond.txt', Buffer.from('100-ns digits\n'), {
    times: { creation: t('2024-07-19T04:09:00.123Z', 4567), lastWrite: t('2024-07-19T04:09:00.000Z', 1), lastAccess: t('2024-07-19T05:27:00.999Z', 9999) },
    tags: ['times', 'sub-second'],
  });
  await w.file('/times/future.txt', Buffer.from('after 2038\n'), {
    times: { creation: t('2040-02-29T12:00:00Z'), lastWrite: t('2099-12-31T23:59:59Z'), lastAccess: t('2040-02-29T12:00:00Z') },
    tags: ['times'],
  });

  await w.mkdir('/attrlist');
  await w.file('/attrlist/many-links.txt', textBytes(100, 'links '), { tags: ['attribute-list', 'hardlink'] });
  for (let i = 0; i < 30; i++)
    await w.link('/attrlist/many-links.txt', `/attrlist/link-${String(i).padStart(2, '0')}-${'x'.repeat(100)}.txt`);
  await w.file('/attrlist/many-streams.txt', textBytes(100, 'streams '), {
    streams: Array.from({ length: 60 }, (_, i) => ({ name: `stream${String(i).padStart(3, '0')}`, data: textBytes(100 + i, `s${i} `) })),
    tags: ['attribute-list', 'ads'],
  });

  await w.mkdir('/empty-dir', { tags: ['empty-dir'] });
  await w.mkdir('/junction-to-deep', { junction: 'C:\\deep', tags: ['reparse-point', 'junction'] });
  await w.mkdir('/keep');
  await w.file('/keep/kept.txt', Buffer.from('still here\n'));
}

const fillerName = (i: number) => `/fill/filler-${String(i).padStart(4, '0')}.bin`;

/**
 * PEERS.md fragmentation recipe: fill the volume with small files until ENOSPC (returns how many fit);
 * a later pass frees every other one and writes a large file into the holes.
 */
async function fill(w: TreeWriter): Promise<number> {
  await w.mkdir('/fill');
  // Batches of 4 in flight (faster through FUSE); the batch that hits ENOSPC is trimmed back.
  for (let base = 0; base < params.maxFillers; base += 4) {
    const batch = [0, 1, 2, 3].map((k) => base + k);
    const results = await Promise.allSettled(batch.map((i) => w.file(fillerName(i), randomBytes(params.fillerSize, i + 1), { tags: ['filler'] })));
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed < 0) continue;
    for (const r of results) if (r.status === 'rejected' && (r.reason as NodeJS.ErrnoException).code !== 'ENOSPC') throw r.reason;
    for (let k = 0; k < 4; k++) {
      const i = base + k;
      if (results[k]!.status === 'fulfilled') await w.discard(fillerName(i));
      else await rm(w.host(fillerName(i)), { force: true });
    }
    return base;
  }
  throw new Error(`volume not full after ${params.maxFillers} fillers`);
}

/** Frees every other filler in physical (LCN) order, then writes a file that must use the holes. */
async function punchAndFragment(w: TreeWriter, lcns: Map<string, number>): Promise<string[]> {
  const byPosition = [...lcns.entries()].sort((a, b) => a[1] - b[1]).map(([name]) => `/fill/${name}`);
  const freed: string[] = [];
  for (let i = 0; i < byPosition.length; i += 2) {
    await w.discard(byPosition[i]!);
    freed.push(byPosition[i]!);
  }
  // Larger than any free run left (ntfs-3g picks the largest free range first), so it must fragment.
  await w.file('/fragmented.bin', randomBytes(2 * MiB, 'fragmented'), { tags: ['fragmented'] });
  return freed;
}

async function writeDeleted(w: TreeWriter): Promise<void> {
  await w.file('/deleted-root.txt', randomBytes(5000, 'deleted-root'));
  await w.mkdir('/deldir');
  await w.mkdir('/deldir/inner');
  for (let i = 0; i < 3; i++) await w.file(`/deldir/gone${i}.txt`, textBytes(1000 * (i + 1), `gone ${i} `));
  await w.file('/deldir/inner/gone-inner.bin', randomBytes(3000, 'gone-inner'));
  await w.file('/keep/gone.bin', randomBytes(777, 'gone'));
  await w.remove('/deleted-root.txt');
  await w.remove('/deldir');
  await w.remove('/keep/gone.bin');
}

/**
 * Builds the ntfs-basic volume into `volumePath` and returns its facts (offset 0).
 * @throws Error when a tool fails or a feature could not be confirmed with istat.
 */
export async function buildNtfsBasicVolume(ctx: BuildContext, volumePath: string): Promise<VolumeFacts> {
  await makeNtfs(volumePath, { size: params.size, label: params.label, clusterSize: params.clusterSize });
  const all: FileFact[] = [];
  let deleted: VolumeFacts['deleted'] = [];
  let files = 0;
  let dirs = 0;
  const pass = async (fn: (w: TreeWriter) => Promise<void>, compression = false) =>
    withNtfsMount(
      volumePath,
      ctx.mountPoint('basic'),
      async (root) => {
        const w = new TreeWriter(root);
        await fn(w);
        const r = await w.finish();
        files += w.fileCount;
        dirs += w.dirCount;
        return r;
      },
      { compression },
    );
  let fillers = 0;
  const a = await pass(async (w) => {
    await writeTree(w);
    await w.flushEarly(); // streams need free space: write them before the volume is full
    fillers = await fill(w);
  }, true);
  all.push(...a.files);
  const mftCopy = join(ctx.tmpDir, 'basic-mft.bin');
  await run('icat', ['-f', 'ntfs', volumePath, '0'], { stdoutFile: mftCopy });
  const lcns = firstLcnByName(await readFile(mftCopy), /^filler-\d+\.bin$/);
  if (lcns.size !== fillers) throw new Error(`found ${lcns.size} of ${fillers} fillers in the $MFT`);
  let freed: string[] = [];
  const b = await pass(async (w) => {
    freed = await punchAndFragment(w, lcns);
    await writeDeleted(w);
  });
  deleted = b.deleted;
  const discarded = new Set(freed);
  const facts = [...all.filter((f) => !discarded.has(f.path)), ...b.files].sort((x, y) => (x.path < y.path ? -1 : 1));
  files -= discarded.size;

  // Confirm the allocator-dependent features with The Sleuth Kit before claiming them.
  const frag = countRuns(await istat(volumePath, await inodeOf(volumePath, '/fragmented.bin')));
  if (frag < 8) throw new Error(`fragmented.bin has only ${frag} runs`);
  for (const p of ['/attrlist/many-links.txt', '/attrlist/many-streams.txt'])
    if (!hasAttributeList(await istat(volumePath, await inodeOf(volumePath, p)))) throw new Error(`${p} has no attribute list`);
  const comp = await istat(volumePath, await inodeOf(volumePath, '/compressed/compressible.txt'));
  if (!/Compressed/.test(comp)) throw new Error('compressible.txt is not compressed');
  await ntfsfixCheck(volumePath);
  ctx.log(`fragmented.bin: ${frag} runs`);

  return {
    offset: 0,
    size: params.size,
    fs: 'ntfs',
    label: params.label,
    clusterSize: params.clusterSize,
    sectorSize: 512,
    files: facts,
    deleted,
    fileCount: files,
    dirCount: dirs,
    notes: { fragmentedRuns: frag, fillers, fillersFreed: freed.length },
  };
}

export const ntfsBasic: Scenario = {
  name: 'ntfs-basic',
  description: 'Bare NTFS volume (mkntfs + ntfs-3g) with one small tree per NTFS feature',
  version: 3,
  params,
  deps: [],
  async build(ctx: BuildContext): Promise<BuildResult> {
    const image = join(ctx.outDir, 'ntfs-basic.img');
    const vol = await buildNtfsBasicVolume(ctx, image);
    return { image, format: 'raw', virtualSize: params.size, fileSize: params.size, volumes: [vol] };
  },
};
