/**
 * Partitioned raw disks: `raw-mbr` (sfdisk: 2 primaries + an extended partition with 2 logical
 * ones) and `raw-gpt` (sgdisk: EFI System, MSR, Basic data, Recovery, with names), each holding a copy
 * of the `ntfs-basic` volume plus small volumes made by mkntfs and mkfs.vfat. Partition facts come
 * from `sfdisk --json`.
 */
import { join } from 'node:path';
import type { VolumeFacts } from '../catalog.js';
import type { BuildContext, BuildResult, Scenario } from '../scenario.js';
import { copyVolumeInto } from '../disk/copy-volume.js';
import { readPartitionFacts } from '../disk/partition-facts.js';
import { createSparse, makeFat, placeVolume } from '../disk/place.js';
import { makeNtfs } from '../ntfs/mkntfs.js';
import { run } from '../util/run.js';

const MiB = 1024 * 1024;
const SECTOR = 512;
const mib = (n: number) => (n * MiB) / SECTOR; // sectors

async function smallNtfs(ctx: BuildContext, disk: string, startLba: number, sectors: number, label: string, partition: number): Promise<VolumeFacts> {
  const scratch = join(ctx.tmpDir, `${label}.img`);
  await makeNtfs(scratch, { size: sectors * SECTOR, label, startSector: startLba });
  await placeVolume(scratch, disk, startLba * SECTOR, sectors * SECTOR);
  return { offset: startLba * SECTOR, size: sectors * SECTOR, fs: 'ntfs', label, partition, clusterSize: 4096, sectorSize: SECTOR, files: [], deleted: [] };
}

async function fat(ctx: BuildContext, disk: string, startLba: number, sectors: number, label: string, bits: 16 | 32, partition: number): Promise<VolumeFacts> {
  const scratch = join(ctx.tmpDir, `${label}.fat`);
  await makeFat(scratch, sectors * SECTOR, label, bits, startLba);
  await placeVolume(scratch, disk, startLba * SECTOR, sectors * SECTOR);
  return { offset: startLba * SECTOR, size: sectors * SECTOR, fs: bits === 16 ? 'fat16' : 'fat32', label, partition };
}

const mbrLayout = {
  diskSectors: mib(172),
  p1: { start: 2048, size: mib(16) }, // FAT16, bootable
  p2: { start: 2048 + mib(16), size: mib(8) }, // Linux, left empty
  ext: { start: 2048 + mib(24), size: mib(146) },
  p5: { start: 2048 + mib(25), size: mib(128) }, // ntfs-basic
  p6: { start: 2048 + mib(154), size: mib(16) }, // small NTFS
};

export const rawMbr: Scenario = {
  name: 'raw-mbr',
  description: 'Raw MBR disk (sfdisk): FAT16 + empty Linux primaries, extended with logical NTFS (ntfs-basic) and a small NTFS',
  version: 1,
  params: { layout: mbrLayout, id: '0x0c01df1c' },
  deps: ['ntfs-basic'],
  async build(ctx: BuildContext): Promise<BuildResult> {
    const L = mbrLayout;
    const image = join(ctx.outDir, 'raw-mbr.img');
    await createSparse(image, L.diskSectors * SECTOR);
    const script = [
      'label: dos',
      'label-id: 0x0c01df1c',
      'unit: sectors',
      '',
      `start=${L.p1.start}, size=${L.p1.size}, type=6, bootable`,
      `start=${L.p2.start}, size=${L.p2.size}, type=83`,
      `start=${L.ext.start}, size=${L.ext.size}, type=5`,
      `start=${L.p5.start}, size=${L.p5.size}, type=7`,
      `start=${L.p6.start}, size=${L.p6.size}, type=7`,
      '',
    ].join('\n');
    await run('sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', image], { input: script });
    const volumes = [
      await fat(ctx, image, L.p1.start, L.p1.size, 'MBRFAT16', 16, 1),
      await copyVolumeInto(ctx.dep('ntfs-basic'), image, L.p5.start, 5, L.p5.size * SECTOR, ctx.tmpDir),
      await smallNtfs(ctx, image, L.p6.start, L.p6.size, 'SECOND', 6),
    ];
    const partitionTable = await readPartitionFacts(image, { 1: 'fat16', 2: 'empty', 3: 'extended', 5: 'ntfs', 6: 'ntfs' });
    const size = L.diskSectors * SECTOR;
    return { image, format: 'raw', virtualSize: size, fileSize: size, partitionTable, volumes };
  },
};

/** GPT type GUIDs (UEFI spec 2.10 §5.3.3, Microsoft "PARTITION_INFORMATION_GPT"). */
export const GptType = {
  efiSystem: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  msr: 'E3C9E316-0B5C-4DB8-817D-F92DF00215AE',
  basicData: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7',
  recovery: 'DE94BBA4-06D1-4D40-A16A-BFD50179D6AC',
} as const;

const gptLayout = {
  diskSectors: mib(218),
  diskGuid: '6F5C2B0A-1D2E-4C3B-9A8F-0E1D2C3B4A59',
  parts: [
    { n: 1, start: 2048, size: mib(40), code: 'EF00', name: 'EFI system partition', guid: '11111111-2222-4333-8444-555555555501' },
    { n: 2, start: 2048 + mib(40), size: mib(16), code: '0C01', name: 'Microsoft reserved partition', guid: '11111111-2222-4333-8444-555555555502' },
    { n: 3, start: 2048 + mib(56), size: mib(128), code: '0700', name: 'Basic data partition', guid: '11111111-2222-4333-8444-555555555503' },
    { n: 4, start: 2048 + mib(184), size: mib(32), code: '2700', name: 'Windows RE tools', guid: '11111111-2222-4333-8444-555555555504' },
  ],
};

/** Runs sgdisk to create a fresh GPT with the given partitions (fixed GUIDs for reproducibility). */
export async function sgdiskCreate(
  image: string,
  diskGuid: string,
  parts: { n: number; start: number; size: number; code: string; name: string; guid: string }[],
): Promise<void> {
  const args = ['--clear', `--disk-guid=${diskGuid}`];
  for (const p of parts) {
    args.push(`--new=${p.n}:${p.start}:${p.start + p.size - 1}`, `--typecode=${p.n}:${p.code}`);
    args.push(`--change-name=${p.n}:${p.name}`, `--partition-guid=${p.n}:${p.guid}`);
  }
  args.push(image);
  await run('sgdisk', args);
}

export const rawGpt: Scenario = {
  name: 'raw-gpt',
  description: 'Raw GPT disk (sgdisk): EFI System (FAT32), MSR, Basic data NTFS (ntfs-basic), Recovery (small NTFS)',
  version: 1,
  params: { layout: gptLayout },
  deps: ['ntfs-basic'],
  async build(ctx: BuildContext): Promise<BuildResult> {
    const L = gptLayout;
    const image = join(ctx.outDir, 'raw-gpt.img');
    await createSparse(image, L.diskSectors * SECTOR);
    await sgdiskCreate(image, L.diskGuid, L.parts);
    const [efi, , data, rec] = L.parts as [typeof L.parts[0], typeof L.parts[0], typeof L.parts[0], typeof L.parts[0]];
    const volumes = [
      await fat(ctx, image, efi.start, efi.size, 'SYSTEM', 32, 1),
      await copyVolumeInto(ctx.dep('ntfs-basic'), image, data.start, 3, data.size * SECTOR, ctx.tmpDir),
      await smallNtfs(ctx, image, rec.start, rec.size, 'Recovery', 4),
    ];
    const partitionTable = await readPartitionFacts(image, { 1: 'fat32', 2: 'empty', 3: 'ntfs', 4: 'ntfs' });
    const size = L.diskSectors * SECTOR;
    return { image, format: 'raw', virtualSize: size, fileSize: size, partitionTable, volumes };
  },
};
