/**
 * checkVolume's verdict on every NTFS volume among the real third-party fixtures
 * (../shared/fixtures/real, MANIFEST.md) must be "clean" exactly where the independent tools find
 * the volume sound: `ntfsfix -n` succeeds and The Sleuth Kit (`fls -r -p`) walks it (TSK 4.11 cannot
 * open 2 MiB clusters: there ntfsfix alone decides). A volume the tools reject must not be "clean"
 * (checkVolume finds something, or refuses to open it).
 *
 * A finding must name a real defect the tools confirm: ntfs-cloud.bin stops one sector short of
 * its partition, so its backup boot sector is missing (BOOT_BACKUP_MISSING; ntfsfix -n fails on it).
 *
 * Volumes: bare NTFS images (dissect ntfs.bin, ntfs-cloud.bin, boot_2m.bin; Velocidex charlie.dd;
 * dfvfs windows_volume.qcow2 through `qemu-img convert`), MBR disks (msuhanov's five .raw disks;
 * dissect's fixed and dynamic VHD through `qemu-img convert -f vpc`; the partition found with
 * `mmls`), and stripped BitLocker volumes decrypted with `dislocker-file` (their $MFT was zeroed
 * by the fixture's author: not sound). Not volumes, so not here: the standalone $MFT copies
 * (mft.bin, mft.raw), the $LogFile copies, the FVE-only and LUKS-less samples. msuhanov's ntfs.tgz
 * (a 64 GiB disk) is checked only with COLDFIX_BIG_FIXTURES=1.
 * Each volume is prepared in this file's own mkdtemp folder.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSource } from '@coldfix/io';
import { realFixturesDir } from '@coldfix/test-images';
import { checkVolume } from '../src/check/check-volume.js';

const real = realFixturesDir();
const TOOLS = ['ntfsfix', 'fls', 'mmls', 'qemu-img', 'dislocker-file'];
const missingTools = TOOLS.filter((t) => spawnSync('bash', ['-c', `command -v ${t}`]).status !== 0);
const haveFixtures = existsSync(join(real, 'MANIFEST.md'));
const skipReason = !haveFixtures ? 'no ../shared/fixtures/real' : missingTools.length ? `${missingTools.join(', ')} missing` : '';
const skip = skipReason !== '' && process.env.COLDFIX_REQUIRE_ORACLES !== '1';

type Prepare = (src: string, work: string) => string;
const sh = (script: string, ...args: string[]): string => execFileSync('bash', ['-c', script, 'x', ...args], { encoding: 'utf8', maxBuffer: 16 << 20 });
const unpack = (src: string, out: string): void => {
  if (src.endsWith('.gz')) sh('gunzip -c "$1" | cp --sparse=always /dev/stdin "$2"', src, out);
  else if (src.endsWith('.bz2')) sh('bunzip2 -c "$1" | cp --sparse=always /dev/stdin "$2"', src, out);
  else if (src.endsWith('.tgz')) sh('tar xzOf "$1" | cp --sparse=always /dev/stdin "$2"', src, out);
  else sh('cp --sparse=always "$1" "$2"', src, out);
};
/**
 * A bare volume: the file itself (decompressed), cut to the partition it came from when the author
 * kept bytes past it: the volume's sectors plus the one after, where Windows keeps the backup boot
 * sector (ntfsfix -n looks for it in the device's last sector). A file shorter than that is left so.
 */
const bare: Prepare = (src, work) => {
  const out = join(work, 'vol');
  unpack(src, out);
  const boot = readFileSync(out).subarray(0, 512);
  if (boot.length === 512 && boot.toString('latin1', 3, 11) === 'NTFS    ') {
    const partition = Number(boot.readBigUInt64LE(0x28)) * boot.readUInt16LE(0x0b) + boot.readUInt16LE(0x0b);
    if (statSync(out).size > partition) truncateSync(out, partition);
  }
  return out;
};
/** A disk: its first NTFS partition as mmls finds it, cut out sparse (ntfsfix takes no offset). */
const disk = (format?: 'vpc' | 'qcow2'): Prepare => (src, work) => {
  const raw = join(work, 'disk');
  if (format) sh(`qemu-img convert -f ${format} -O raw "$1" "$2"`, src.endsWith('.gz') ? (unpack(src, `${raw}.in`), `${raw}.in`) : src, raw);
  else unpack(src, raw);
  const row = sh('mmls "$1"', raw).split('\n').find((l) => /NTFS|0x07/.test(l));
  const [start, , length] = row!.trim().split(/\s+/).slice(2, 5).map(Number);
  const out = join(work, 'vol');
  sh('dd if="$1" of="$2" bs=512 skip="$3" count="$4" conv=sparse status=none', raw, out, String(start), String(length));
  return out;
};
/** A stripped BitLocker volume, decrypted by dislocker-file. */
const bitlocker = (password: string): Prepare => (src, work) => {
  const enc = join(work, 'enc');
  unpack(src, enc);
  const out = join(work, 'vol');
  sh('dislocker-file -V "$1" -u"$2" -- "$3" >/dev/null 2>&1', enc, password, out);
  return out;
};

const VOLUMES: [string, Prepare][] = [
  ['fox-it-dissect.ntfs/ntfs.bin.gz', bare],
  ['fox-it-dissect.ntfs/ntfs-cloud.bin.gz', bare],
  ['fox-it-dissect.ntfs/boot_2m.bin.gz', bare],
  ['Velocidex-go-ntfs/charlie.dd.bz2', bare],
  ['log2timeline-dfvfs/windows_volume.qcow2', (src, work) => (sh('qemu-img convert -f qcow2 -O raw "$1" "$2"', src, join(work, 'vol')), join(work, 'vol'))],
  ['msuhanov-ntfs-samples/ntfs-2m.raw.gz', disk()],
  ['msuhanov-ntfs-samples/ntfs-lastaccess.raw.gz', disk()],
  ['msuhanov-ntfs-samples/ntfs-ptrn.raw.gz', disk()],
  ['msuhanov-ntfs-samples/ntfs-ramslack.raw.gz', disk()],
  ['msuhanov-ntfs-samples/ntfs-si-vs-fn.raw.gz', disk()],
  ['fox-it-dissect.hypervisor/fixed.vhd.gz', disk('vpc')],
  ['fox-it-dissect.hypervisor/dynamic.vhd.gz', disk('vpc')],
  ['fox-it-dissect.fve/aes_128.bin.gz', bitlocker('password12!@')],
  ['fox-it-dissect.fve/aes-xts_128.bin.gz', bitlocker('password12!@')],
];
if (process.env.COLDFIX_BIG_FIXTURES === '1') VOLUMES.push(['msuhanov-ntfs-samples/ntfs.tgz', disk()]);

/** The independent verdict: ntfsfix -n succeeds, and TSK walks the volume (when it can open it at all). */
function toolsSay(vol: string): { sound: boolean; why: string } {
  const fix = spawnSync('ntfsfix', ['-n', vol], { encoding: 'utf8' });
  const fixOut = `${fix.stdout}${fix.stderr}`;
  const fixOk = fix.status === 0 && !/FAILED|corrupt|error/i.test(fixOut);
  const fls = spawnSync('fls', ['-r', '-p', vol], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const tskCannotOpen = /Cannot determine file system type|cluster size/i.test(fls.stderr ?? '');
  const tskOk = fls.status === 0 || (tskCannotOpen && fixOk);
  return { sound: fixOk && tskOk, why: `ntfsfix ${fix.status}: ${fixOut.trim().split('\n').slice(-1)[0]}; fls ${fls.status}: ${(fls.stderr ?? '').trim().split('\n')[0] ?? ''}` };
}

describe('checkVolume on every real NTFS fixture agrees with ntfsfix -n and The Sleuth Kit', () => {
  let work: string;
  beforeAll(() => {
    if (!skip) work = mkdtempSync(join(tmpdir(), 'coldfix-check-real-'));
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });
  for (const [relative, prepare] of VOLUMES) {
    it.skipIf((skip) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')(`${relative}${skip ? ` (skipped: ${skipReason})` : ''}`, async () => {
      const dir = mkdtempSync(join(work, 'v-'));
      try {
        const vol = prepare(join(real, relative), dir);
        const oracle = toolsSay(vol);
        let ours: { clean: boolean; findings: unknown[] } | { error: string };
        const f = await FileSource.open(vol);
        try {
          ours = await checkVolume(f);
        } catch (e) {
          ours = { error: (e as Error).message };
        } finally {
          await f.close();
        }
        const clean = 'clean' in ours && ours.clean;
        expect({ clean, ours }, oracle.why).toMatchObject({ clean: oracle.sound });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 600_000);
  }
});
