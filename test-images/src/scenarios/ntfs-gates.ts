/**
 * Safety-gate volumes for the NTFS write path: each holds a small Windows-like tree with a bad
 * CrowdStrike channel file (so a repair would match) but must be refused for writing:
 * - `ntfs-dirty`: the $Volume dirty flag is set (confirmed with `ntfsinfo -m`);
 * - `ntfs-hibernated`: `/hiberfil.sys` starts with `HIBR` (ntfs-3g then refuses a read-write mount);
 * - `ntfs-resumed`: the negative case, `/hiberfil.sys` starts with `wake` (Windows resumed and the
 *   hibernation image is stale): writing is allowed (ntfs-3g mounts it read-write).
 */
import { join } from 'node:path';
import type { BuildContext, BuildResult, Scenario } from '../scenario.js';
import { filetime } from '../ntfs/filetime.js';
import { makeNtfs } from '../ntfs/mkntfs.js';
import { withNtfsMount } from '../ntfs/mount.js';
import { TreeWriter } from '../ntfs/tree-writer.js';
import { setVolumeDirty } from '../ntfs/volume-dirty.js';
import { FileAttribute } from '../ntfs/xattr.js';
import { randomBytes } from '../util/content.js';
import { run } from '../util/run.js';
import { BAD_HEADER, CROWDSTRIKE_DIR } from './windows-sample.js';

const MiB = 1024 * 1024;

async function buildGateVolume(ctx: BuildContext, name: string, hiberHeader?: string): Promise<BuildResult> {
  const image = join(ctx.outDir, `${name}.img`);
  const size = 64 * MiB;
  await makeNtfs(image, { size, label: name.toUpperCase().replace(/-/g, '') });
  const t = (iso: string) => {
    const f = filetime(iso);
    return { creation: f, lastWrite: f, lastAccess: f };
  };
  const r = await withNtfsMount(image, ctx.mountPoint(name), async (root) => {
    const w = new TreeWriter(root);
    await w.mkdir('/Windows/System32/drivers', { parents: true });
    await w.mkdir(CROWDSTRIKE_DIR);
    await w.file('/Windows/System32/cmd.exe', randomBytes(289_792, 'gate-cmd'));
    const bad = randomBytes(40_792, `${name}-bad`);
    bad.set(BAD_HEADER, 0);
    await w.file(`${CROWDSTRIKE_DIR}/C-00000291-00000000-00000032.sys`, bad, { times: t('2024-07-19T04:09:12Z'), tags: ['crowdstrike', 'bad'] });
    if (hiberHeader) {
      const h = randomBytes(1 * MiB, 'hiberfil');
      h.fill(0, 0, 4096);
      Buffer.from(h.buffer, h.byteOffset).write(hiberHeader, 0, 'latin1');
      await w.file('/hiberfil.sys', h, { attributes: FileAttribute.archive | FileAttribute.hidden | FileAttribute.system, tags: ['hiberfil'] });
    }
    return w.finish();
  });
  const notes: Record<string, unknown> = {};
  if (hiberHeader) notes['hiberfilHeader'] = hiberHeader;
  else {
    await setVolumeDirty(image);
    // ntfsinfo refuses a dirty volume unless forced (-f), which is itself a sign the flag took.
    const info = (await run('ntfsinfo', ['-f', '-m', image])).stdout;
    if (!/Volume Flags: 0x0*[0-9a-f]*[13579bdf]\b/i.test(info)) throw new Error(`ntfsinfo does not report the dirty flag:\n${info}`);
    notes['dirty'] = true;
  }
  return {
    image,
    format: 'raw',
    virtualSize: size,
    fileSize: size,
    volumes: [{ offset: 0, size, fs: 'ntfs', label: name, clusterSize: 4096, sectorSize: 512, files: r.files, deleted: r.deleted, notes }],
  };
}

export const ntfsDirty: Scenario = {
  name: 'ntfs-dirty',
  description: 'Bare NTFS volume with the $Volume dirty flag set and a bad CrowdStrike 291 file (write gate)',
  version: 1,
  params: {},
  deps: [],
  build: (ctx) => buildGateVolume(ctx, 'ntfs-dirty'),
};

export const ntfsHibernated: Scenario = {
  name: 'ntfs-hibernated',
  description: 'Bare NTFS volume with a hiberfil.sys starting with HIBR and a bad CrowdStrike 291 file (write gate)',
  version: 1,
  params: { header: 'HIBR' },
  deps: [],
  build: (ctx) => buildGateVolume(ctx, 'ntfs-hibernated', 'HIBR'),
};

export const ntfsResumed: Scenario = {
  name: 'ntfs-resumed',
  description: 'Bare NTFS volume with a hiberfil.sys starting with wake (resumed: safe to write) and a bad CrowdStrike 291 file',
  version: 1,
  params: { header: 'wake' },
  deps: [],
  build: (ctx) => buildGateVolume(ctx, 'ntfs-resumed', 'wake'),
};
