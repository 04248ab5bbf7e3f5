/**
 * The images of the repair end-to-end tests, built once and cached in
 * `test-images/cache/repair-e2e-v<N>/` (a lock keeps parallel test files from building twice):
 *
 * - `mini-gpt.img`: a small windows-sample (GPT: EFI FAT32, MSR, NTFS "Windows" 128 MiB, ~470
 *   files, the CrowdStrike channel files bad/good/unknown) built by the test-images generator
 *   (mkntfs + ntfs-3g FUSE);
 * - `mini-mbr.img`: the same NTFS volume in an MBR disk (partition 1 at the same LBA);
 * - VHD conversions by `qemu-img convert -O vpc` (dynamic and fixed);
 * - BitLocker copies made by the test-images BitLocker writer (independent of packages/bitlocker),
 *   spreading the method × protector matrix so each method and each protector appears once.
 *
 * Every test works on a fresh copy (`cp --sparse=always`) of these.
 */
import { mkdir, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir, withFileLock, type FileFact } from '@coldfix/test-images';
import { buildWindowsSample, type CrowdStrikeFact } from '../../../../test-images/src/scenarios/windows-sample.js';
import { encryptToBitLocker, type BitLockerMethod } from '../../../../test-images/src/bitlocker/index.js';
import { extractVolume, mustRun, recoverAllHashes } from './tools.js';

const VERSION = 1;
const SECTOR = 512;

export interface BitLockerImage {
  name: string;
  image: string;
  /** qemu-img format. */
  format: 'raw' | 'vpc';
  scheme: 'gpt' | 'mbr';
  method: BitLockerMethod;
  /** Which protector the tests unlock with. */
  unlockWith: 'recovery-password' | 'startup-key' | 'password' | 'clear-key';
  recoveryPassword?: string;
  password?: string;
  bekFile?: string;
  volumeGuid: string;
  protectors: { guid: string; type: string }[];
  /** Whether the writer marked the metadata clusters in $Bitmap (Windows covers them with FVE2 files). */
  reservedInBitmap: boolean;
}

export interface E2eImages {
  dir: string;
  /** Plain images. */
  miniGpt: string;
  miniMbr: string;
  miniGptDynamicVhd: string;
  miniMbrFixedVhd: string;
  /** Byte offset and size of the NTFS partition (same in the GPT and MBR disks). */
  volumeOffset: number;
  volumeSize: number;
  /** GPT partition number of the Windows volume in mini-gpt (3); MBR: 1. */
  gptPartition: number;
  files: FileFact[];
  crowdstrike: CrowdStrikeFact[];
  /** tsk_recover -a of the plain NTFS volume before any repair: path → sha256. */
  before: Record<string, string>;
  bitlocker: BitLockerImage[];
}

const PASSWORD = 'Tr0ub4dor&3-coldfix';

interface BitLockerPlan {
  name: string;
  scheme: 'gpt' | 'mbr';
  format: 'raw' | 'vpc';
  subformat?: 'fixed' | 'dynamic';
  method: BitLockerMethod;
  unlockWith: BitLockerImage['unlockWith'];
  reserve: boolean;
}

/** Each method and each protector at least once (not the full product, to keep runtime bounded). */
const PLANS: BitLockerPlan[] = [
  { name: 'bl-xts128-rp-gpt.img', scheme: 'gpt', format: 'raw', method: 'aes-xts-128', unlockWith: 'recovery-password', reserve: false },
  { name: 'bl-xts256-bek-gpt-dynamic.vhd', scheme: 'gpt', format: 'vpc', subformat: 'dynamic', method: 'aes-xts-256', unlockWith: 'startup-key', reserve: false },
  { name: 'bl-cbc128d-clear-mbr.img', scheme: 'mbr', format: 'raw', method: 'aes-cbc-128-diffuser', unlockWith: 'clear-key', reserve: false },
  { name: 'bl-cbc256d-rp-gpt-fixed.vhd', scheme: 'gpt', format: 'vpc', subformat: 'fixed', method: 'aes-cbc-256-diffuser', unlockWith: 'recovery-password', reserve: false },
  { name: 'bl-cbc128-pw-mbr.img', scheme: 'mbr', format: 'raw', method: 'aes-cbc-128', unlockWith: 'password', reserve: false },
  { name: 'bl-cbc256-rp-gpt.img', scheme: 'gpt', format: 'raw', method: 'aes-cbc-256', unlockWith: 'recovery-password', reserve: false },
  // As the writer does by default: metadata clusters marked in $Bitmap with no file claiming them.
  { name: 'bl-xts128-reserved-gpt.img', scheme: 'gpt', format: 'raw', method: 'aes-xts-128', unlockWith: 'recovery-password', reserve: true },
];

export function e2eDir(): string {
  return join(cacheDir(), `repair-e2e-v${VERSION}`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Builds (once) and returns the e2e images. */
export async function ensureE2eImages(): Promise<E2eImages> {
  const dir = e2eDir();
  const factsPath = join(dir, 'facts.json');
  if (await exists(factsPath)) return JSON.parse(await readFile(factsPath, 'utf8')) as E2eImages;
  await mkdir(cacheDir(), { recursive: true });
  return withFileLock(join(cacheDir(), `.repair-e2e-v${VERSION}.lock`), async () => {
    if (await exists(factsPath)) return JSON.parse(await readFile(factsPath, 'utf8')) as E2eImages;
    const build = `${dir}.build-${process.pid}`;
    await rm(build, { recursive: true, force: true });
    await mkdir(build, { recursive: true });
    const facts = await buildAll(build);
    // Paths were built in the scratch folder: point them at the final one before publishing, so the
    // facts file is complete whenever it exists (readers above check it without the lock).
    const text = JSON.stringify(facts).split(build).join(dir);
    await writeFile(join(build, 'facts.json'), text);
    await rm(dir, { recursive: true, force: true });
    await rename(build, dir);
    return JSON.parse(text) as E2eImages;
  });
}

async function copySparse(from: string, to: string): Promise<void> {
  await mustRun('cp', ['--sparse=always', from, to]);
}

async function buildAll(dir: string): Promise<E2eImages> {
  const work = join(dir, 'work');
  await mkdir(work, { recursive: true });
  const miniGpt = join(dir, 'mini-gpt.img');
  const sample = await buildWindowsSample({
    image: miniGpt,
    workDir: work,
    mountPoint: join(work, 'mnt'),
    ntfsSizeMiB: 128,
    scale: 0.08,
  });
  const { offset: volumeOffset, size: volumeSize, startLba } = sample.windowsPartition;
  const volume = join(work, 'windows.ntfs');
  await extractVolume(miniGpt, volumeOffset, volumeSize, volume);
  const before = Object.fromEntries(await recoverAllHashes(volume));

  // The same NTFS volume in an MBR disk, partition 1 at the same LBA (so the boot sector's hidden-sectors field stays right).
  const miniMbr = join(dir, 'mini-mbr.img');
  await mustRun('truncate', ['-s', String(sample.diskSize), miniMbr]);
  await mustRun('sfdisk', ['--quiet', miniMbr], { input: `label: dos\nlabel-id: 0x2024c291\nstart=${startLba}, size=${volumeSize / SECTOR}, type=7, bootable\n` });
  await mustRun('dd', [`if=${volume}`, `of=${miniMbr}`, 'bs=1M', `seek=${volumeOffset}`, 'oflag=seek_bytes', 'conv=notrunc,sparse', 'status=none']);

  const miniGptDynamicVhd = join(dir, 'mini-gpt-dynamic.vhd');
  await mustRun('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', miniGpt, miniGptDynamicVhd]);
  const miniMbrFixedVhd = join(dir, 'mini-mbr-fixed.vhd');
  await mustRun('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed,force_size=on', miniMbr, miniMbrFixedVhd]);

  const bitlocker: BitLockerImage[] = [];
  for (const plan of PLANS) {
    const raw = join(work, `${plan.name}.raw`);
    await copySparse(plan.scheme === 'gpt' ? miniGpt : miniMbr, raw);
    const protectors =
      plan.unlockWith === 'clear-key'
        ? { clearKey: true, recoveryPassword: 'generate' }
        : plan.unlockWith === 'startup-key'
          ? { startupKey: true, recoveryPassword: 'generate' }
          : plan.unlockWith === 'password'
            ? { password: PASSWORD, recoveryPassword: 'generate' }
            : { recoveryPassword: 'generate', password: PASSWORD };
    const result = await encryptToBitLocker(raw, volumeOffset, volumeSize, { method: plan.method, protectors, reserveInBitmap: plan.reserve });
    const image = join(dir, plan.name);
    if (plan.format === 'raw') await rename(raw, image);
    else {
      await mustRun('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', `subformat=${plan.subformat},force_size=on`, raw, image]);
      await rm(raw);
    }
    let bekFile: string | undefined;
    if (result.bekFile) {
      bekFile = join(dir, `${plan.name}-${result.bekFile.name}`);
      await writeFile(bekFile, result.bekFile.bytes);
    }
    bitlocker.push({
      name: plan.name,
      image,
      format: plan.format,
      scheme: plan.scheme,
      method: plan.method,
      unlockWith: plan.unlockWith,
      ...(result.recoveryPassword ? { recoveryPassword: result.recoveryPassword } : {}),
      ...('password' in protectors ? { password: PASSWORD } : {}),
      ...(bekFile ? { bekFile } : {}),
      volumeGuid: result.volumeGuid,
      protectors: result.protectors,
      reservedInBitmap: plan.reserve,
    });
  }
  await rm(work, { recursive: true, force: true });
  return {
    dir,
    miniGpt,
    miniMbr,
    miniGptDynamicVhd,
    miniMbrFixedVhd,
    volumeOffset,
    volumeSize,
    gptPartition: sample.windowsPartition.number,
    files: sample.files,
    crowdstrike: sample.crowdstrike,
    before,
    bitlocker,
  };
}
