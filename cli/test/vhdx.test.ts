/**
 * The format-agnostic stack over VHDX and AVHDX: `coldfix info/ls/cat/verify/repair --dry-run`, run as
 * child processes, on the catalog's Windows-like disk converted by qemu-img (`-O vhdx`), and on a
 * differencing child (our test writer) over it. Oracles: `qemu-img info` (virtual size), the catalog
 * facts (partition offsets from sfdisk, file names and SHA-256 as written through ntfs-3g, CrowdStrike
 * classification), the parent's DataWriteGuid read by the writer's own decoder. Read-only commands must
 * leave the file's bytes unchanged. Writes: a full repair over the VHDX and over the BitLocker sample as VHDX
 * (qemu-img check clean, TSK on qemu's raw, rollback byte-identical).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImages, readVhdxDataWriteGuid, readVolumeFiles, SAMPLE_SECRETS, writeVhdx, type CatalogEntry } from '@coldfix/test-images';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const bin = join(repo, 'cli/bin/coldfix.js');
const noQemu = process.env.COLDFIX_REQUIRE_ORACLES !== '1' && !(await hasQemu());

async function hasQemu(): Promise<boolean> {
  return (await run('sh', ['-c', 'command -v qemu-img']).catch(() => ({ code: 1 }))).code === 0;
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res, rej) =>
    execFile(cmd, args, { cwd: repo, maxBuffer: 64 << 20, timeout: 600_000 }, (error, stdout, stderr) => {
      if (error && typeof (error as NodeJS.ErrnoException).code === 'string') return rej(error);
      res({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    }),
  );
}

const coldfix = (...args: string[]) => run(process.execPath, [bin, ...args]);

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe.skipIf((noQemu) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('coldfix over VHDX and AVHDX (skipped without qemu-img)', () => {
  let dir = '';
  let vhdx = '';
  let avhdx = '';
  let entry: CatalogEntry;
  const CS = '/Windows/System32/drivers/CrowdStrike';

  beforeAll(async () => {
    const catalog = await ensureImages(['windows-sample']);
    entry = catalog.entries['windows-sample']!;
    dir = await mkdtemp(join(repo, 'test-images/cache/cli-vhdx-'));
    vhdx = join(dir, 'windows.vhdx');
    const r = await run('qemu-img', ['convert', '-f', 'raw', '-O', 'vhdx', '-o', 'subformat=dynamic,block_size=1M', entry.image, vhdx]);
    expect(r.code, r.stderr).toBe(0);
    // A checkpoint over it, writing only inside the MSR partition (p2), so NTFS reads the same through it.
    avhdx = join(dir, 'windows_checkpoint.avhdx');
    // p2 (MSR) starts where p1 (EFI, FAT32) ends and holds no file system.
    const efi = entry.volumes.find((v) => v.partition === 1)!;
    const msr = efi.offset + efi.size;
    expect(msr).toBeLessThan(entry.volumes.find((v) => v.partition === 3)!.offset);
    writeVhdx(avhdx, {
      virtualSize: entry.virtualSize,
      parent: { dataWriteGuid: readVhdxDataWriteGuid(vhdx), relativePath: '.\\windows.vhdx', absoluteWin32Path: 'C:\\Hyper-V\\windows.vhdx' },
      writes: [[msr + 4096, new Uint8Array(8192).fill(0x5c)]],
    });
  }, 900_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('info --json: vhdx dynamic, qemu-img virtual size, catalog partition offsets; the AVHDX chain with its linkage', { timeout: 300_000 }, async () => {
    const qemu = JSON.parse((await run('qemu-img', ['info', '--output=json', vhdx])).stdout) as { 'virtual-size': number; format: string };
    expect(qemu.format).toBe('vhdx');
    const r = await coldfix('info', vhdx, '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect([doc.format, doc.variant, doc.virtualSize]).toEqual(['vhdx', 'dynamic', qemu['virtual-size']]);
    expect(doc.partitionScheme).toBe('gpt');
    for (const volume of entry.volumes) {
      expect(doc.partitions.find((p: { index: number }) => p.index === volume.partition)?.offset).toBe(volume.offset);
    }
    expect(doc.chain[0]).toMatchObject({ blockSize: 1 << 20, logicalSectorSize: 512, logState: 'clean', dataWriteGuid: readVhdxDataWriteGuid(vhdx) });
    const c = await coldfix('info', avhdx, '--json');
    expect(c.code, c.stderr).toBe(0);
    const chain = JSON.parse(c.stdout).chain;
    expect(chain.map((m: { variant: string }) => m.variant)).toEqual(['differencing', 'dynamic']);
    expect(chain[0].parentLinkage).toBe(readVhdxDataWriteGuid(vhdx));
    expect(chain[1].path).toBe(vhdx);
    const human = await coldfix('info', avhdx);
    expect(human.stdout).toContain(`parent_linkage ${readVhdxDataWriteGuid(vhdx)}`);
  });

  it('a checkpoint whose parent_linkage does not match: exit 2 with VHDX_PARENT_MISMATCH; --allow-parent-mismatch reads it, with an anomaly', { timeout: 300_000 }, async () => {
    const wrong = join(dir, 'wrong_checkpoint.avhdx');
    writeVhdx(wrong, {
      virtualSize: entry.virtualSize,
      parent: { dataWriteGuid: '12345678-1234-4234-8234-123456789abc', relativePath: '.\\windows.vhdx' },
      writes: [],
    });
    const refused = await coldfix('info', wrong, '--json');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('VHDX_PARENT_MISMATCH');
    const allowed = await coldfix('info', wrong, '--json', '--allow-parent-mismatch');
    expect(allowed.code, allowed.stderr).toBe(0);
    const doc = JSON.parse(allowed.stdout);
    expect(doc.partitionScheme).toBe('gpt');
    expect(doc.anomalies.join('\n')).toMatch(/parent_linkage 12345678-1234-4234-8234-123456789abc: used anyway/);
  });

  it('ls and cat: the CrowdStrike folder names and every channel file\'s SHA-256 as written, through VHDX and AVHDX', { timeout: 300_000 }, async () => {
    const ntfs = entry.volumes.find((v) => v.fs === 'ntfs')!;
    const expected = (await readVolumeFiles(ntfs))
      .filter((f) => f.type === 'file' && f.path.startsWith(`${CS}/`) && !f.path.slice(CS.length + 1).includes('/'))
      .map((f) => f.path)
      .sort();
    expect(expected.length).toBeGreaterThan(50);
    for (const image of [vhdx, avhdx]) {
      const r = await coldfix('ls', image, CS, '--json');
      expect(r.code, r.stderr).toBe(0);
      const listed = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { path: string; type: string })
        .filter((e) => e.type !== 'dir' && e.type !== 'd')
        .map((e) => e.path)
        .sort();
      expect(listed).toEqual(expected);
    }
    const facts = (entry.extra as { crowdstrike: Array<{ path: string; sha256: string }> }).crowdstrike;
    for (const fact of facts.slice(0, 4)) {
      for (const image of [vhdx, avhdx]) {
        const out = await new Promise<Buffer>((res, rej) =>
          execFile(process.execPath, [bin, 'cat', image, fact.path.slice(1)], { encoding: 'buffer', maxBuffer: 64 << 20 }, (e, stdout) => (e ? rej(e) : res(stdout))),
        );
        expect(createHash('sha256').update(out).digest('hex')).toBe(fact.sha256);
      }
    }
  });

  it('repair --dry-run and verify: affected (exit 3), the bad 291 files listed; the VHDX file is unchanged', { timeout: 300_000 }, async () => {
    const before = await sha256File(vhdx);
    const facts = (entry.extra as { crowdstrike: Array<{ name: string; classification: string }> }).crowdstrike;
    const bad = facts.filter((f) => f.classification === 'bad').map((f) => f.name);
    expect(bad.length).toBeGreaterThan(0);
    for (const image of [vhdx, avhdx]) {
      const dry = await coldfix('repair', image, '--dry-run');
      expect(dry.code, dry.stderr).toBe(3);
      expect(dry.stdout).toMatch(/vhdx (dynamic|differencing)/);
      for (const name of bad) expect(dry.stdout).toContain(name);
      const verify = await coldfix('verify', image);
      expect(verify.code, verify.stderr).toBe(3);
      for (const name of bad) expect(verify.stdout).toContain(name);
    }
    expect(await sha256File(vhdx)).toBe(before);
  });

  it('repair over a VHDX copy: exit 0; qemu-img check clean; TSK (on qemu-img convert -O raw) no longer lists the bad files, lists the rest; changes lie inside the NTFS partition; rollback restores the file byte for byte', { timeout: 600_000 }, async () => {
    const hasTsk = (await run('sh', ['-c', 'command -v fls'])).code === 0;
    if (!hasTsk && process.env.COLDFIX_REQUIRE_ORACLES === '1') throw new Error('fls (sleuthkit) missing');
    const copy = join(dir, 'repair.vhdx');
    await run('cp', ['--sparse=always', vhdx, copy]);
    const pristine = await sha256File(copy);
    const r = await coldfix('repair', copy);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect((await run('qemu-img', ['check', copy])).code).toBe(0);
    const raw = join(dir, 'repaired.raw');
    expect((await run('qemu-img', ['convert', '-f', 'vhdx', '-O', 'raw', copy, raw])).code).toBe(0);
    const ntfs = entry.volumes.find((v) => v.fs === 'ntfs')!;
    // The first difference from the original disk lies inside the NTFS partition.
    const cmp = await run('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', entry.image, raw]);
    expect(cmp.code).toBe(1);
    const at = Number(/offset (\d+)/.exec(cmp.stdout)?.[1] ?? -1);
    expect(at).toBeGreaterThanOrEqual(ntfs.offset);
    expect(at).toBeLessThan(ntfs.offset + ntfs.size);
    if (hasTsk) {
      const fls = await run('fls', ['-r', '-p', '-o', String(ntfs.offset / 512), raw]);
      expect(fls.code, fls.stderr).toBe(0);
      const allocated = fls.stdout.split('\n').filter((l) => !/\*/.test(l.split('\t')[0] ?? ''));
      const facts = (entry.extra as { crowdstrike: Array<{ path: string; classification: string }> }).crowdstrike;
      for (const fact of facts) {
        const listed = allocated.some((l) => l.endsWith(`\t${fact.path.slice(1)}`));
        // The default rule quarantines every C-00000291 channel file and no other channel.
        expect(listed, fact.path).toBe(!/C-00000291-/.test(fact.path));
      }
    }
    await rm(raw, { force: true });
    const back = await coldfix('rollback', copy);
    expect(back.code, back.stderr).toBe(0);
    expect(await sha256File(copy)).toBe(pristine);
  });
});

describe.skipIf((noQemu) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('coldfix repair over a BitLocker disk as VHDX (skipped without qemu-img)', () => {
  it('windows-sample-bitlocker-vhd → qemu-img convert -O vhdx: repair with the recovery password (exit 0), qemu-img check clean, verify clean, rollback byte-identical', { timeout: 900_000 }, async () => {
    const catalog = await ensureImages(['windows-sample-bitlocker-vhd']);
    const entry = catalog.entries['windows-sample-bitlocker-vhd']!;
    const dir = await mkdtemp(join(repo, 'test-images/cache/cli-vhdx-bl-'));
    try {
      const path = join(dir, 'bitlocker.vhdx');
      expect((await run('qemu-img', ['convert', '-f', 'vpc', '-O', 'vhdx', '-o', 'subformat=dynamic', entry.image, path])).code).toBe(0);
      const pristine = await sha256File(path);
      const key = ['--recovery-password', SAMPLE_SECRETS.recoveryPassword];
      const dry = await coldfix('repair', path, '--dry-run', ...key);
      expect(dry.code, dry.stderr).toBe(3);
      const r = await coldfix('repair', path, ...key);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect((await run('qemu-img', ['check', path])).code).toBe(0);
      const verify = await coldfix('verify', path, ...key);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      expect((await coldfix('rollback', path)).code).toBe(0);
      expect(await sha256File(path)).toBe(pristine);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
