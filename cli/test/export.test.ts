/**
 * `coldfix export`: the virtual disk of every VHD fixture equals `qemu-img convert -f vpc -O raw` (and
 * the MANIFEST's virtual SHA-256); a BitLocker volume exported with its key equals `dislocker-file`'s
 * output; the output is sparse where the source reads zeros (allocated blocks < size).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { ensureImages, realFixturesDir } from '@coldfix/test-images';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const bin = join(repo, 'cli/bin/coldfix.js');
const REAL = realFixturesDir();
const requireOracles = process.env.COLDFIX_REQUIRE_ORACLES === '1';
const hasQemu = existsSync('/usr/bin/qemu-img');
const hasDislocker = existsSync('/usr/bin/dislocker-file');
const hasFixtures = existsSync(join(REAL, 'fox-it-dissect.hypervisor'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((res, rej) =>
    execFile(cmd, args, { cwd: repo, maxBuffer: 64 << 20, timeout: 900_000 }, (error, stdout, stderr) => {
      if (error && typeof (error as NodeJS.ErrnoException).code === 'string') return rej(error);
      res({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    }),
  );
}
async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
async function local(fixture: string): Promise<string> {
  if (!fixture.endsWith('.gz')) return join(REAL, fixture);
  const out = join(work, basename(fixture, '.gz'));
  await pipeline(createReadStream(join(REAL, fixture)), createGunzip(), createWriteStream(out));
  return out;
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'coldfix-export-'));
  const build = await run('npx', ['tsc', '-b', 'cli']);
  expect(build.code, build.stdout + build.stderr).toBe(0);
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe.skipIf((!hasQemu || !hasFixtures) && !requireOracles)('export of VHD fixtures = qemu-img convert -O raw', { timeout: 900_000 }, () => {
  // MANIFEST virtual SHA-256 values (qemu + libvhdi).
  const FIXTURES = [
    { file: 'fox-it-dissect.hypervisor/fixed.vhd.gz', sha256: '459325ab1fcd1d5ec9854cba790ee26378317cda177ffc1072008a1df88e6463' },
    { file: 'fox-it-dissect.hypervisor/dynamic.vhd.gz', sha256: 'ecff2ef6615a3cddc6a6885f1c6d9cf13a232697e1dc6575f2c2f01f57247784' },
    { file: 'log2timeline-dfvfs/ext2.vhd', sha256: '870be7ae16c1fa8faab05c6eb9205dc9a7ae35c5f552c5cf8a267c0bc6a5cb99' },
  ];
  it.each(FIXTURES)('$file', async ({ file, sha256: manifest }) => {
    const image = await local(file);
    const out = join(work, `${basename(image)}.export.raw`);
    const got = await run(process.execPath, [bin, 'export', image, out]);
    expect(got.code, got.stderr).toBe(0);
    const qemu = join(work, `${basename(image)}.qemu.raw`);
    expect((await run('qemu-img', ['convert', '-f', 'vpc', '-O', 'raw', image, qemu])).code).toBe(0);
    const mine = await sha256(out);
    expect(mine).toBe(await sha256(qemu));
    expect(mine).toBe(manifest);
  });

  it.each(['vhd-fixed-gpt', 'vhd-dynamic-gpt', 'vhd-dynamic-mbr'])('catalog %s: equals qemu-img convert; sparse where zero; OUT not overwritten without --force', async (name) => {
    const image = (await ensureImages([name])).entries[name]!.image;
    const out = join(work, `${name}.raw`);
    const got = await run(process.execPath, [bin, 'export', image, out]);
    expect(got.code, got.stderr).toBe(0);
    const qemu = join(work, `${name}.qemu.raw`);
    expect((await run('qemu-img', ['convert', '-f', 'vpc', '-O', 'raw', image, qemu])).code).toBe(0);
    expect(await sha256(out)).toBe(await sha256(qemu));
    const info = await stat(out);
    expect(info.blocks * 512).toBeLessThan(info.size);
    const again = await run(process.execPath, [bin, 'export', image, out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/\[IO_EEXIST\]/);
    await rm(qemu);
  });
});

describe.skipIf((!hasDislocker || !hasFixtures) && !requireOracles)('export --partition of a BitLocker volume = dislocker-file', { timeout: 900_000 }, () => {
  const CASES = [
    { file: 'fox-it-dissect.fve/recovery_password.bin.gz', ours: ['--recovery-password', '284867-596541-514998-422114-660297-261613-215424-199408'], dislocker: ['-p284867-596541-514998-422114-660297-261613-215424-199408'] },
    { file: 'fox-it-dissect.fve/aes_128.bin.gz', ours: ['--password', 'password12!@'], dislocker: ['-upassword12!@'] },
    { file: 'fox-it-dissect.fve/aes-xts_256.bin.gz', ours: ['--password', 'password12!@'], dislocker: ['-upassword12!@'] },
  ];
  it.each(CASES)('$file', async ({ file, ours, dislocker }) => {
    const image = await local(file);
    const out = join(work, `${basename(image)}.plain`);
    // A bare BitLocker volume (no partition table) is "partition 0", the whole disk.
    const got = await run(process.execPath, [bin, 'export', image, out, '--partition', '0', ...ours]);
    expect(got.code, got.stderr).toBe(0);
    const reference = join(work, `${basename(image)}.dislocker`);
    const made = await run('dislocker-file', ['-V', image, ...dislocker, '--', reference]);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    expect(await sha256(out)).toBe(await sha256(reference));
    await rm(reference);
  });

  it('a wrong key: BITLOCKER_WRONG_KEY, exit 2, nothing written', async () => {
    const image = await local('fox-it-dissect.fve/aes_128.bin.gz');
    const out = join(work, 'wrong.plain');
    const got = await run(process.execPath, [bin, 'export', image, out, '--partition', '0', '--password', 'wrongpassword']);
    expect(got.code).toBe(2);
    expect(got.stderr).toMatch(/\[BITLOCKER_WRONG_KEY\]/);
    expect(existsSync(out)).toBe(false);
  });
});
