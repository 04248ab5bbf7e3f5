/**
 * Container formats coldfix may not read: every command either reads the container as that format
 * (never as raw), giving the same answers as on the raw disk qemu-img converts it to, or refuses with
 * `UNSUPPORTED_FORMAT` and exit 2. Never raw, never clean. Data-driven, so the test stays true when
 * the VHDX, qcow2 and VMDK drivers land (the "read" branch then applies to their formats).
 *
 * Containers: `qemu-img convert` of the windows-sample disk (GPT, EFI FAT32, NTFS with the
 * CrowdStrike 291 files: `verify` on the raw disk exits 3) to qcow2, VHDX, VMDK (monolithicSparse,
 * streamOptimized, a monolithicFlat descriptor), VDI, Parallels and QED; and the dissect hypervisor
 * and dfvfs container fixtures (MANIFEST: virtual sizes from `qemu-img info`).
 * Oracles: qemu-img (conversion, `info`, and `compare` of `coldfix export` with the source when read),
 * the raw disk's own answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { ensureImages, realFixturesDir } from '@coldfix/test-images';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const bin = join(repo, 'cli/bin/coldfix.js');
const REAL = realFixturesDir();
const requireOracles = process.env.COLDFIX_REQUIRE_ORACLES === '1';
const hasQemu = existsSync('/usr/bin/qemu-img');
const hasFixtures = existsSync(join(REAL, 'fox-it-dissect.hypervisor'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function run(cmd: string, args: string[], cwd = repo): Promise<Run> {
  return new Promise((res, rej) =>
    execFile(cmd, args, { cwd, maxBuffer: 256 << 20, timeout: 900_000 }, (error, stdout, stderr) => {
      if (error && typeof (error as NodeJS.ErrnoException).code === 'string') return rej(error);
      res({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    }),
  );
}
const coldfix = (args: string[]) => run(process.execPath, [bin, ...args]);

/** Our format names for qemu-img's. */
const FORMAT_NAME: Record<string, string> = { qcow2: 'qcow2', vhdx: 'vhdx', vmdk: 'vmdk', vdi: 'vdi', parallels: 'parallels', qed: 'qed' };

interface Container {
  label: string;
  /** qemu-img -O format */
  format: string;
  options?: string;
}
const CONTAINERS: Container[] = [
  { label: 'qcow2', format: 'qcow2' },
  { label: 'vhdx', format: 'vhdx' },
  { label: 'vmdk-monolithicSparse', format: 'vmdk', options: 'subformat=monolithicSparse' },
  { label: 'vmdk-streamOptimized', format: 'vmdk', options: 'subformat=streamOptimized' },
  { label: 'vmdk-monolithicFlat', format: 'vmdk', options: 'subformat=monolithicFlat' },
  { label: 'vdi', format: 'vdi' },
  { label: 'parallels', format: 'parallels' },
  { label: 'qed', format: 'qed' },
];

/** Either read as `format` (never raw), or refused with UNSUPPORTED_FORMAT, exit 2, naming the format. */
function expectUnsupported(got: Run, format: string, what: string): void {
  expect(got.code, `${what}: ${got.stderr}`).toBe(2);
  expect(got.stderr, what).toContain('[UNSUPPORTED_FORMAT]');
  expect(got.stderr, what).toContain(`(${format})`);
  expect(got.stdout, what).not.toMatch(/clean/i);
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'coldfix-unsupported-'));
  const build = await run('npx', ['tsc', '-b', 'cli']);
  expect(build.code, build.stdout + build.stderr).toBe(0);
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe.skipIf(!hasQemu && !requireOracles)('containers converted from the windows-sample disk by qemu-img', { timeout: 1_800_000 }, () => {
  let raw: string;
  let catPath: string;
  const images = new Map<string, string>();
  const onRaw = new Map<string, Run>();
  const commands = (image: string): Record<string, string[]> => ({
    info: ['info', image, '--json'],
    ls: ['ls', image, '/Windows/System32/drivers/CrowdStrike', '--json'],
    cat: ['cat', image, catPath],
    verify: ['verify', image, '--json'],
    'repair --dry-run': ['repair', image, '--dry-run', '--json'],
  });

  beforeAll(async () => {
    raw = (await ensureImages(['windows-sample'])).entries['windows-sample']!.image;
    const listing = await coldfix(['ls', raw, '/Windows/System32/drivers/CrowdStrike', '--json']);
    expect(listing.code, listing.stderr).toBe(0);
    const first = listing.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { path: string; type: string }).find((e) => e.type === 'file');
    catPath = first!.path;
    for (const [name, args] of Object.entries(commands(raw))) onRaw.set(name, await coldfix(args));
    // The raw disk holds the faulty files: verify and the dry run say affected (exit 3), never clean.
    expect(onRaw.get('verify')!.code).toBe(3);
    expect(onRaw.get('repair --dry-run')!.code).toBe(3);
    await mkdir(join(work, 'batch'));
    for (const c of CONTAINERS) {
      const out = join(work, 'batch', `sample-${c.label}.${c.format}`);
      const args = ['convert', '-f', 'raw', '-O', c.format, ...(c.options ? ['-o', c.options] : []), raw, out];
      const made = await run('qemu-img', args);
      expect(made.code, made.stderr).toBe(0);
      images.set(c.label, out);
    }
  });

  it.each(CONTAINERS)('$label: info, ls, cat, verify, repair --dry-run read it as its format with the raw disk\'s answers, or refuse it (exit 2, UNSUPPORTED_FORMAT)', async (c) => {
    const image = images.get(c.label)!;
    const info = await coldfix(['info', image, '--json']);
    if (info.code !== 0) {
      for (const [name, args] of Object.entries(commands(image))) expectUnsupported(await coldfix(args), FORMAT_NAME[c.format]!, `${c.label} ${name}`);
      return;
    }
    // Read: as its own format, never raw; every command answers as on the raw disk.
    const format = (JSON.parse(info.stdout) as { format: string }).format;
    expect(format).not.toBe('raw');
    expect(format).toBe(FORMAT_NAME[c.format]);
    // Its virtual disk is the raw disk it was converted from (qemu-img compare: identical contents).
    const exported = join(work, `${c.label}.export.raw`);
    const exportRun = await coldfix(['export', image, exported]);
    expect(exportRun.code, exportRun.stderr).toBe(0);
    const compare = await run('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', exported, raw]);
    expect(compare.code, compare.stdout + compare.stderr).toBe(0);
    await rm(exported);
    for (const [name, args] of Object.entries(commands(image))) {
      if (name === 'info') continue;
      const got = await coldfix(args);
      const want = onRaw.get(name)!;
      expect(got.code, `${c.label} ${name}: ${got.stderr}`).toBe(want.code);
      if (name === 'ls' || name === 'cat') expect(got.stdout).toBe(want.stdout);
    }
  });

  it('batch --dry-run over a folder of them: each image affected as the raw disk, or an UNSUPPORTED_FORMAT error; none clean', async () => {
    const got = await coldfix(['batch', join(work, 'batch'), '--dry-run', '--json', '--jobs', '2']);
    const lines = got.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event?: string; image?: string; result?: string; error?: { code: string } });
    // NDJSON events (docs/fleet.md): start, one `image` event per image, summary.
    const reports = lines.filter((l) => l.event === 'image');
    // One report per file: the containers, and the raw extent a monolithicFlat VMDK keeps beside its
    // descriptor (`*-flat.vmdk`: a raw disk, rightly read as raw and affected).
    const { readdir } = await import('node:fs/promises');
    expect(reports).toHaveLength((await readdir(join(work, 'batch'))).length);
    expect(reports.filter((r) => r.image?.endsWith('-flat.vmdk')).map((r) => r.result)).toEqual(['affected']);
    for (const r of reports) {
      expect(r.result, r.image).not.toBe('clean');
      if (r.result === 'error') expect(r.error?.code, r.image).toBe('UNSUPPORTED_FORMAT');
      else expect(r.result, r.image).toBe('affected');
    }
    // Exit: an error (2) when any image was refused, else affected (3); never 0.
    expect(got.code).toBe(reports.some((r) => r.result === 'error') ? 2 : 3);
  });
});

/** Container fixtures (MANIFEST §3 and the dfvfs section) with their format and qemu-img virtual size. */
const FIXTURES: { file: string; format: string; virtualSize: number; sha256?: string; missingParent?: string }[] = [
  { file: 'fox-it-dissect.hypervisor/basic.qcow2.gz', format: 'qcow2', virtualSize: 536_870_912 },
  { file: 'fox-it-dissect.hypervisor/basic-zstd.qcow2.gz', format: 'qcow2', virtualSize: 536_870_912 },
  { file: 'fox-it-dissect.hypervisor/snapshot.qcow2.gz', format: 'qcow2', virtualSize: 536_870_912 },
  { file: 'fox-it-dissect.hypervisor/backing-chain-1.qcow2.gz', format: 'qcow2', virtualSize: -1 },
  { file: 'fox-it-dissect.hypervisor/data-file.qcow2.gz', format: 'qcow2', virtualSize: 536_870_912 },
  { file: 'fox-it-dissect.hypervisor/fixed.vhdx.gz', format: 'vhdx', virtualSize: 0xa00000 },
  { file: 'fox-it-dissect.hypervisor/dynamic.vhdx.gz', format: 'vhdx', virtualSize: 0xa00000 },
  // A Hyper-V checkpoint whose parent is not in the fixture set: read as VHDX, refused for its missing parent.
  { file: 'fox-it-dissect.hypervisor/differencing.avhdx.gz', format: 'vhdx', virtualSize: 8_589_934_592, missingParent: 'ff34003b-11ed-4cf8-a166-b2be05e20b80' },
  // qemu reads a standalone seSparse extent only through a hand-written descriptor: MANIFEST's virtual SHA-256.
  { file: 'fox-it-dissect.hypervisor/sesparse.vmdk.gz', format: 'vmdk', virtualSize: 536_870_912, sha256: '3afa48010241335528fe402f083fc9f3a1013a49485221443a78d9a8604e2f90' },
  { file: 'log2timeline-dfvfs/ext2.qcow2', format: 'qcow2', virtualSize: 4_194_304 },
  { file: 'log2timeline-dfvfs/ext2.vmdk', format: 'vmdk', virtualSize: 4_194_304 },
  { file: 'log2timeline-dfvfs/windows_volume.qcow2', format: 'qcow2', virtualSize: 35_913_728 },
];

describe.skipIf(!hasFixtures && !requireOracles)('container fixtures: read as their format or UNSUPPORTED_FORMAT', { timeout: 600_000 }, () => {
  const local = new Map<string, string>();
  beforeAll(async () => {
    const dir = join(work, 'fixtures');
    await mkdir(dir);
    // Every hypervisor fixture, gunzipped side by side (backing chains and data files are found by name).
    const { readdir } = await import('node:fs/promises');
    for (const name of await readdir(join(REAL, 'fox-it-dissect.hypervisor'))) {
      const out = join(dir, name.replace(/\.gz$/, ''));
      await pipeline(createReadStream(join(REAL, 'fox-it-dissect.hypervisor', name)), createGunzip(), createWriteStream(out));
      local.set(`fox-it-dissect.hypervisor/${name}`, out);
    }
    for (const f of FIXTURES) if (!local.has(f.file)) local.set(f.file, join(REAL, f.file));
    await writeFile(join(dir, 'README'), 'gunzipped copies of the hypervisor fixtures for this test run\n');
  });

  it.each(FIXTURES)('$file', async (f) => {
    const image = local.get(f.file)!;
    const info = await coldfix(['info', image, '--json']);
    if (f.missingParent) {
      // MANIFEST §3: the parent linkage GUID is named, with the paths tried; never read as raw, never clean.
      for (const command of ['info', 'verify']) {
        const got = command === 'info' ? info : await coldfix([command, image]);
        expect(got.code, `${command} ${f.file}: ${got.stderr}`).toBe(2);
        expect(got.stderr).toContain('[VHDX_PARENT_NOT_FOUND]');
        expect(got.stderr).toContain(f.missingParent);
        expect(got.stdout).not.toMatch(/clean/i);
      }
      return;
    }
    if (info.code !== 0) {
      expectUnsupported(info, f.format, `info ${f.file}`);
      expectUnsupported(await coldfix(['verify', image]), f.format, `verify ${f.file}`);
      expectUnsupported(await coldfix(['ls', image]), f.format, `ls ${f.file}`);
      return;
    }
    const got = JSON.parse(info.stdout) as { format: string; virtualSize: number };
    expect(got.format).toBe(f.format);
    if (f.virtualSize > 0) expect(got.virtualSize).toBe(f.virtualSize);
    // The same virtual disk as qemu reads (qemu-img compare; qemu cannot open an AVHDX, MANIFEST §3).
    if (f.file.endsWith('.avhdx.gz')) return;
    const exported = join(work, 'fixture.export.raw');
    await rm(exported, { force: true });
    const exportRun = await coldfix(['export', image, exported]);
    expect(exportRun.code, exportRun.stderr).toBe(0);
    if (f.sha256) {
      const { createHash } = await import('node:crypto');
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(exported)) hash.update(chunk as Buffer);
      expect(hash.digest('hex')).toBe(f.sha256);
      return;
    }
    // From the image's folder: qemu resolves a relative external data file name against the working directory.
    const compare = await run('qemu-img', ['compare', '-f', 'raw', exported, image], dirname(image));
    expect(compare.code, compare.stdout + compare.stderr).toBe(0);
  });
});
