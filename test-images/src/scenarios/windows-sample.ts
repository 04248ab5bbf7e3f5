/**
 * `windows-sample`: a GPT disk shaped like a Windows 10 system disk (sgdisk): EFI System (FAT32,
 * 100 MiB, mkfs.vfat), MSR (16 MiB), Basic data NTFS "Windows" (sparse, mkntfs + ntfs-3g) holding a
 * Windows-like tree of about 5,000 files and the CrowdStrike channel files of 19 July 2024: bad
 * `C-00000291*.sys` (last write 04:09 UTC; one starting `AA AA AA AA 01 00 23 01`, one all zeros),
 * a good one (05:27 UTC) and an older one (unknown class). No hiberfil.sys.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileFact, PartitionTableFacts, VolumeFacts } from '../catalog.js';
import type { BuildContext, BuildResult, Scenario } from '../scenario.js';
import { readPartitionFacts } from '../disk/partition-facts.js';
import { createSparse, makeFat, placeVolume } from '../disk/place.js';
import { filetime, filetimeToIso, type NtfsTimes } from '../ntfs/filetime.js';
import { makeNtfs } from '../ntfs/mkntfs.js';
import { withNtfsMount } from '../ntfs/mount.js';
import { ntfsfixCheck } from '../ntfs/inspect.js';
import { TreeWriter } from '../ntfs/tree-writer.js';
import { FileAttribute } from '../ntfs/xattr.js';
import { forEachLimit, Prng, randomBytes, seedOf, textBytes } from '../util/content.js';
import { GptType, sgdiskCreate } from './disks.js';
import { planWindowsTree, type PlannedFile } from './windows-tree.js';

const MiB = 1024 * 1024;
const SECTOR = 512;
/** Folder of the Falcon sensor's channel files. */
export const CROWDSTRIKE_DIR = '/Windows/System32/drivers/CrowdStrike';

/** How a channel file relates to the July 2024 incident. */
export type ChannelClass = 'bad' | 'good' | 'unknown' | 'other-channel';

/** One CrowdStrike channel file written to the sample. */
export interface CrowdStrikeFact {
  /** Volume path. */
  path: string;
  name: string;
  size: number;
  sha256: string;
  /** Last write FILETIME (decimal string) and ISO form. */
  lastWrite: string;
  lastWriteIso: string;
  classification: ChannelClass;
  /** For bad files: how the content looks. */
  variant?: 'aaaa-header' | 'zeros';
}

/** Options for {@link buildWindowsSample}. */
export interface WindowsSampleOptions {
  /** Output raw disk image path. */
  image: string;
  /** Scratch folder (the NTFS volume is built here, then copied into the disk). */
  workDir: string;
  /** Unique, not yet existing path for the ntfs-3g mount. */
  mountPoint: string;
  log?: (message: string) => void;
  /** Size of the Windows partition in MiB (default 1024; the image is sparse). */
  ntfsSizeMiB?: number;
  /** Tree scale (1 ≈ 5,000 files). */
  scale?: number;
  seed?: number;
  user?: string;
  /** Bad 291 files to include (default both). */
  badVariants?: ('aaaa-header' | 'zeros')[];
  includeGood?: boolean;
  includeOlder?: boolean;
}

/** What {@link buildWindowsSample} made. */
export interface WindowsSampleResult {
  image: string;
  diskSize: number;
  partitionTable: PartitionTableFacts;
  /** The Basic data partition holding the Windows volume. */
  windowsPartition: { number: number; startLba: number; offset: number; size: number };
  volumes: VolumeFacts[];
  /** Every file and directory of the Windows volume. */
  files: FileFact[];
  crowdstrike: CrowdStrikeFact[];
}

const INSTALL_TIME = '2023-03-14T10:22:33Z';

const t = (iso: string, ticks = 0): NtfsTimes => {
  const ft = filetime(iso, ticks);
  return { creation: ft, lastWrite: ft, lastAccess: ft };
};

/** The 8-byte header of the bad channel-291 files seen in July 2024. */
export const BAD_HEADER = Uint8Array.from([0xaa, 0xaa, 0xaa, 0xaa, 0x01, 0x00, 0x23, 0x01]);

function channelFiles(o: Required<Pick<WindowsSampleOptions, 'badVariants' | 'includeGood' | 'includeOlder'>>, prng: Prng) {
  const out: { name: string; data: Uint8Array; times: NtfsTimes; classification: ChannelClass; variant?: 'aaaa-header' | 'zeros' }[] = [];
  const body = (size: number, seed: string) => {
    const b = randomBytes(size, seed);
    b.set(BAD_HEADER.subarray(0, 4), 0); // channel files start with AA AA AA AA
    return b;
  };
  if (o.badVariants.includes('aaaa-header')) {
    const d = randomBytes(40_792, 'bad-291');
    d.set(BAD_HEADER, 0);
    out.push({ name: 'C-00000291-00000000-00000032.sys', data: d, times: t('2024-07-19T04:09:12.000Z', 3456789), classification: 'bad', variant: 'aaaa-header' });
  }
  if (o.badVariants.includes('zeros'))
    out.push({ name: 'C-00000291-00000000-00000030.sys', data: new Uint8Array(40_960), times: t('2024-07-19T04:09:44.000Z', 1), classification: 'bad', variant: 'zeros' });
  if (o.includeGood)
    out.push({ name: 'C-00000291-00000000-00000033.sys', data: body(41_128, 'good-291'), times: t('2024-07-19T05:27:14.000Z', 5000000), classification: 'good' });
  if (o.includeOlder)
    out.push({ name: 'C-00000291-00000000-00000029.sys', data: body(39_984, 'older-291'), times: t('2024-07-16T13:02:07.000Z'), classification: 'unknown' });
  // Another channel written at 04:09 too: same time, different channel, must be left alone.
  out.push({ name: 'C-00000289-00000000-00000032.sys', data: body(13_344, 'c289'), times: t('2024-07-19T04:09:05.000Z'), classification: 'other-channel' });
  const channels = [1, 2, 3, 4, 5, 9, 21, 31, 40, 46, 50, 56, 58, 63, 65, 66, 68, 74, 77, 87, 89, 91, 135, 137, 163, 172, 179, 189, 199, 201, 202, 207, 209, 214, 219, 224, 226, 233, 235, 240, 245, 249, 250, 252, 261, 262, 267, 272, 277, 283, 286, 294];
  for (const c of channels) {
    const name = `C-${String(c).padStart(8, '0')}-00000000-${String(prng.int(1, 99)).padStart(8, '0')}.sys`;
    const when = Date.parse('2024-07-01T00:00:00Z') + (prng.next() % (17 * 86400)) * 1000;
    out.push({ name, data: body(prng.int(1_024, 600_000), name), times: t(new Date(when).toISOString(), prng.next() % 10_000_000), classification: 'other-channel' });
  }
  return out;
}

function contentOf(f: PlannedFile): Uint8Array {
  switch (f.kind) {
    case 'zeros':
      return new Uint8Array(f.size);
    case 'text':
      return textBytes(f.size, `# ${f.path}\r\n`);
    case 'regf': {
      const b = randomBytes(f.size, f.path);
      b.fill(0, 0, 4096);
      Buffer.from(b.buffer, b.byteOffset).write('regf', 0, 'latin1'); // hive header signature; not a parseable hive
      Buffer.from(b.buffer, b.byteOffset).write('hbin', 4096, 'latin1');
      return b;
    }
    case 'pe': {
      const b = randomBytes(f.size, f.path);
      if (f.size >= 64) {
        b[0] = 0x4d; // MZ
        b[1] = 0x5a;
      }
      return b;
    }
    default:
      return randomBytes(f.size, f.path);
  }
}

/**
 * Builds the plaintext Windows-like sample disk (raw) at `o.image`.
 * @throws Error when a tool fails or FUSE is unavailable.
 */
export async function buildWindowsSample(o: WindowsSampleOptions): Promise<WindowsSampleResult> {
  const log = o.log ?? (() => undefined);
  const ntfsMiB = o.ntfsSizeMiB ?? 1024;
  const parts = [
    { n: 1, start: 2048, size: (100 * MiB) / SECTOR, code: 'EF00', name: 'EFI system partition', guid: 'A0B1C2D3-0001-4E5F-8A9B-0C1D2E3F4A01' },
    { n: 2, start: 2048 + (100 * MiB) / SECTOR, size: (16 * MiB) / SECTOR, code: '0C01', name: 'Microsoft reserved partition', guid: 'A0B1C2D3-0002-4E5F-8A9B-0C1D2E3F4A02' },
    { n: 3, start: 2048 + (116 * MiB) / SECTOR, size: (ntfsMiB * MiB) / SECTOR, code: '0700', name: 'Basic data partition', guid: 'A0B1C2D3-0003-4E5F-8A9B-0C1D2E3F4A03' },
  ];
  const win = parts[2]!;
  const diskSize = (win.start + win.size + 2048) * SECTOR;
  await createSparse(o.image, diskSize);
  await sgdiskCreate(o.image, '3C1D2E4F-5A6B-4C7D-8E9F-A0B1C2D3E4F5', parts);

  const efi = join(o.workDir, 'efi.fat');
  await makeFat(efi, parts[0]!.size * SECTOR, 'SYSTEM', 32, parts[0]!.start);
  await placeVolume(efi, o.image, parts[0]!.start * SECTOR, parts[0]!.size * SECTOR);

  const vol = join(o.workDir, 'windows.ntfs');
  const volSize = win.size * SECTOR;
  await makeNtfs(vol, { size: volSize, label: 'Windows', startSector: win.start });
  const plan = planWindowsTree(o.seed ?? 20240719, o.scale ?? 1, o.user ?? 'alice');
  const channel = channelFiles(
    { badVariants: o.badVariants ?? ['aaaa-header', 'zeros'], includeGood: o.includeGood ?? true, includeOlder: o.includeOlder ?? true },
    new Prng(seedOf('channels')),
  );
  const t0 = Date.now();
  const written = await withNtfsMount(vol, o.mountPoint, async (root) => {
    const w = new TreeWriter(root);
    for (const d of plan.dirs) {
      await w.mkdir(d.path, { times: d.times });
      if (d.attributes !== undefined) await w.addDirAttributes(d.path, d.attributes & ~0x10);
    }
    await w.mkdir(CROWDSTRIKE_DIR, { times: t('2023-05-02T08:15:00Z') });
    // Junctions every Windows 10 system volume has (must not be followed by a tree walk).
    for (const [path, target] of [['/Documents and Settings', 'C:\\Users'], ['/Users/Default User', 'C:\\Users\\Default'], ['/ProgramData/Application Data', 'C:\\ProgramData']] as const) {
      await w.mkdir(path, { times: t(INSTALL_TIME), junction: target, tags: ['junction'] });
      await w.addDirAttributes(path, FileAttribute.hidden | FileAttribute.system);
    }
    await forEachLimit(plan.files, 8, async (f) => {
      const opts = f.attributes === undefined ? { times: f.times } : { times: f.times, attributes: f.attributes };
      await w.file(f.path, contentOf(f), opts);
    });
    for (const c of channel) await w.file(`${CROWDSTRIKE_DIR}/${c.name}`, c.data, { times: c.times, tags: ['crowdstrike', c.classification] });
    await w.file(
      '/pagefile.sys',
      { size: 512 * MiB, extents: [{ offset: 0, data: randomBytes(64 * 1024, 'pagefile') }] },
      { times: t('2024-07-18T07:55:01Z'), attributes: FileAttribute.archive | FileAttribute.hidden | FileAttribute.system, tags: ['sparse'] },
    );
    const r = await w.finish();
    return { ...r, fileCount: w.fileCount, dirCount: w.dirCount };
  });
  log(`Windows volume: ${written.fileCount} files, ${written.dirCount} directories in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await ntfsfixCheck(vol);
  await placeVolume(vol, o.image, win.start * SECTOR, volSize);

  const partitionTable = await readPartitionFacts(o.image, { 1: 'fat32', 2: 'empty', 3: 'ntfs' });
  const crowdstrike: CrowdStrikeFact[] = channel.map((c) => ({
    path: `${CROWDSTRIKE_DIR}/${c.name}`,
    name: c.name,
    size: c.data.length,
    sha256: createHash('sha256').update(c.data).digest('hex'),
    lastWrite: c.times.lastWrite.toString(),
    lastWriteIso: filetimeToIso(c.times.lastWrite),
    classification: c.classification,
    ...(c.variant ? { variant: c.variant } : {}),
  }));
  const volumes: VolumeFacts[] = [
    { offset: parts[0]!.start * SECTOR, size: parts[0]!.size * SECTOR, fs: 'fat32', label: 'SYSTEM', partition: 1 },
    {
      offset: win.start * SECTOR,
      size: volSize,
      fs: 'ntfs',
      label: 'Windows',
      partition: 3,
      clusterSize: 4096,
      sectorSize: SECTOR,
      deleted: written.deleted,
      fileCount: written.fileCount,
      dirCount: written.dirCount,
      notes: { hiberfil: false, pagefile: '/pagefile.sys' },
    },
  ];
  return {
    image: o.image,
    diskSize,
    partitionTable,
    windowsPartition: { number: 3, startLba: win.start, offset: win.start * SECTOR, size: volSize },
    volumes,
    files: written.files,
    crowdstrike,
  };
}

export const windowsSample: Scenario = {
  name: 'windows-sample',
  description: 'GPT disk like a Windows system disk: EFI (FAT32), MSR, NTFS "Windows" with ~5,000 files and CrowdStrike channel files (bad/good/unknown 291)',
  version: 3,
  params: { ntfsSizeMiB: 1024, scale: 1, seed: 20240719, user: 'alice' },
  deps: [],
  async build(ctx: BuildContext): Promise<BuildResult> {
    const image = join(ctx.outDir, 'windows-sample.img');
    const r = await buildWindowsSample({ image, workDir: ctx.tmpDir, mountPoint: ctx.mountPoint('windows'), log: ctx.log, ntfsSizeMiB: 1024 });
    const filesPath = join(ctx.outDir, 'files.json');
    await writeFile(filesPath, JSON.stringify(r.files));
    const volumes = r.volumes.map((v) => (v.fs === 'ntfs' ? { ...v, filesPath } : v));
    return {
      image,
      format: 'raw',
      virtualSize: r.diskSize,
      fileSize: r.diskSize,
      partitionTable: r.partitionTable,
      volumes,
      extra: { crowdstrike: r.crowdstrike, crowdstrikeDir: CROWDSTRIKE_DIR, windowsPartition: r.windowsPartition, gptTypes: GptType },
    };
  },
};
