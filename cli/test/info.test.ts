/**
 * `coldfix info IMAGE --json`, run as a child process, on every catalog disk image and the real
 * container / partition fixtures (/work/shared/fixtures/real, gunzipped into a temp folder, never
 * copied into the repo). Oracles: `qemu-img info --output=json` (virtual size; `-f vpc` for VHD),
 * `sfdisk --json` on the raw disk (or on a qemu-img conversion, or a sparse extension of a cut
 * table), `mmls -b 4096` for the 4 KiB-sector GPT, the catalog facts and the MANIFEST.
 * Exit codes per docs/cli.md: 0 success, 2 bad input with one line naming the structure and offset.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { describeWith, itWith, missingFixtures } from '@coldfix/test-support';
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { copyFile, chmod, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { ensureImages, type CatalogEntry } from '@coldfix/test-images';
import { realFixturesDir } from '@coldfix/test-images';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const bin = join(repo, 'cli/bin/coldfix.js');
const REAL = realFixturesDir();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function run(cmd: string, args: string[], cwd = repo): Promise<Run> {
  return new Promise((res, rej) =>
    execFile(cmd, args, { cwd, maxBuffer: 64 << 20, timeout: 600_000 }, (error, stdout, stderr) => {
      if (error && typeof (error as NodeJS.ErrnoException).code === 'string') return rej(error);
      res({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    }),
  );
}

interface Info {
  image: string;
  format: string;
  variant: string;
  virtualSize: number;
  chain: { path: string; format: string; variant: string; virtualSize: number }[];
  partitionScheme: string;
  sectorSize?: number;
  partitions: { index: number; offset: number; size: number; type: string; name: string; guid: string | null; content: string }[];
  anomalies: string[];
  volume?: unknown;
}

async function info(image: string, extra: string[] = []): Promise<Info> {
  const r = await run(process.execPath, [bin, 'info', image, '--json', ...extra]);
  expect(r.code, `coldfix info ${image}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as Info;
}

async function qemuVirtualSize(image: string, format: 'raw' | 'vpc'): Promise<number> {
  const r = await run('qemu-img', ['info', '--output=json', '-f', format, image]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { 'virtual-size': number })['virtual-size'];
}

interface SfdiskPart {
  node: string;
  start: number;
  size: number;
  type: string;
  uuid?: string;
  name?: string;
}
async function sfdisk(raw: string): Promise<{ label: string; sectorsize: number; partitions: SfdiskPart[] }> {
  const r = await run('sfdisk', ['--json', raw]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { partitiontable: { label: string; sectorsize: number; partitions: SfdiskPart[] } }).partitiontable;
}

/** Compares coldfix's partitions with sfdisk's (index from the node name's number). */
function expectPartitionsMatch(got: Info, table: { label: string; sectorsize: number; partitions: SfdiskPart[] }): void {
  expect(got.partitionScheme).toBe(table.label === 'dos' ? 'mbr' : table.label);
  const ss = table.sectorsize;
  const primary = table.partitions.filter((p) => p.size > 0);
  for (const p of primary) {
    const index = Number(/(\d+)$/.exec(p.node)![1]);
    const mine = got.partitions.find((x) => x.index === index);
    expect(mine, `partition ${index} of ${got.image}`).toBeDefined();
    expect(mine!.offset).toBe(p.start * ss);
    expect(mine!.size).toBe(p.size * ss);
    if (table.label === 'gpt') {
      expect(mine!.type).toBe(p.type.toLowerCase());
      expect(mine!.guid).toBe(p.uuid!.toLowerCase());
      if (p.name !== undefined) expect(mine!.name).toBe(p.name);
    } else {
      expect(Number(mine!.type)).toBe(parseInt(p.type, 16));
    }
  }
  expect(got.partitions.length).toBe(primary.length);
}

let work: string;
async function gunzipTo(gz: string, name: string, limit?: number): Promise<string> {
  const out = join(work, name);
  if (limit === undefined) {
    await pipeline(createReadStream(gz), createGunzip(), createWriteStream(out));
  } else {
    // Only the first `limit` bytes (the MANIFEST's "first MiB"): stop the stream there.
    const fh = await open(out, 'w');
    let written = 0;
    try {
      for await (const chunk of createReadStream(gz).pipe(createGunzip())) {
        const b = (chunk as Buffer).subarray(0, limit - written);
        await fh.write(b);
        written += b.length;
        if (written >= limit) break;
      }
    } finally {
      await fh.close();
    }
  }
  return out;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'coldfix-info-'));
  const build = await run('npx', ['tsc', '-b', 'cli']);
  expect(build.code, build.stdout + build.stderr).toBe(0);
  return () => rm(work, { recursive: true, force: true });
});

describe('coldfix info --json on the catalog disk images', { timeout: 300_000 }, () => {
  const names = ['raw-mbr', 'raw-gpt', 'vhd-fixed-gpt', 'vhd-dynamic-gpt', 'vhd-dynamic-mbr', 'windows-sample', 'windows-sample-vhd', 'ntfs-basic'];
  let entries: Record<string, CatalogEntry>;
  beforeAll(async () => {
    entries = (await ensureImages(names)).entries;
  });

  it.each(names)('%s', async (name) => {
    const e = entries[name]!;
    const got = await info(e.image);
    expect(got.format).toBe(e.format === 'vpc' ? 'vhd' : 'raw');
    expect(got.variant).toBe(e.format === 'vpc' ? e.vhdSubformat : 'raw');
    expect(got.virtualSize).toBe(await qemuVirtualSize(e.image, e.format));
    expect(got.chain).toHaveLength(1);
    expect(resolve(got.chain[0]!.path)).toBe(resolve(e.image));
    expect(got.chain[0]!.virtualSize).toBe(got.virtualSize);
    if (!e.partitionTable) {
      expect(got.partitionScheme).toBe('none');
      expect(got.partitions).toEqual([]);
      expect(got.volume).toBeDefined();
      return;
    }
    // sfdisk on the raw disk (a qemu-img conversion for VHDs).
    let raw = e.image;
    if (e.format === 'vpc') {
      raw = join(work, `${name}.raw`);
      expect((await run('qemu-img', ['convert', '-f', 'vpc', '-O', 'raw', e.image, raw])).code).toBe(0);
    }
    expectPartitionsMatch(got, await sfdisk(raw));
    if (raw !== e.image) await rm(raw);
    // Content as the generator wrote it.
    for (const fact of e.partitionTable.partitions) {
      const mine = got.partitions.find((p) => p.index === fact.number);
      expect(mine, `partition ${fact.number} listed`).toBeDefined();
      if (!mine) continue;
      if (fact.content === 'ntfs') expect(mine.content).toBe('ntfs');
      if (fact.content === 'fat16' || fact.content === 'fat32') expect(mine.content).toBe('fat');
      if (fact.name !== undefined) expect(mine.name).toBe(fact.name);
    }
  });
});

describe('a reader that goes away (EPIPE)', { timeout: 300_000 }, () => {
  it('coldfix info --json | true (the reader has gone before the first write): exit 0, nothing on stderr', async () => {
    const image = (await ensureImages(['windows-sample'])).entries['windows-sample']!.image;
    const got = await run('bash', ['-c', 'node "$0" info --json "$1" | true; echo "exit=${PIPESTATUS[0]}"', bin, image]);
    expect(got.stdout.trim()).toBe('exit=0');
    expect(got.stderr).toBe('');
  });
});

describeWith(missingFixtures())('coldfix info --json on real fixtures', { timeout: 300_000 }, () => {
  it.each(['mbr.bin', 'gpt.bin', 'gpt_esxi.bin', 'gpt_no_name_xff.bin', 'gpt_hybrid.bin'])('fox-it-dissect.volume/%s: partitions as sfdisk reads them', async (name) => {
    const path = join(REAL, 'fox-it-dissect.volume', name);
    const got = await info(path);
    expect(got.format).toBe('raw');
    expect(got.virtualSize).toBe((await stat(path)).size);
    expect(got.virtualSize).toBe(await qemuVirtualSize(path, 'raw'));
    // sfdisk needs the whole disk: extend a copy sparsely (MANIFEST: truncate -s 80G).
    const copy = join(work, name);
    await copyFile(path, copy);
    await chmod(copy, 0o644);
    await run('truncate', ['-s', '80G', copy]);
    if (name === 'gpt_esxi.bin' || name === 'gpt_no_name_xff.bin') {
      // sfdisk falls back to the protective MBR on these cut GPTs; mmls -t gpt reads them (MANIFEST).
      const mmls = await run('mmls', ['-t', 'gpt', copy]);
      expect(mmls.code, mmls.stderr).toBe(0);
      const rows = mmls.stdout
        .split('\n')
        .map((l) => /^\d+:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(l))
        .filter((m) => m !== null)
        .map((m) => ({ index: Number(m![1]) + 1, offset: Number(m![2]) * 512, size: Number(m![4]) * 512, name: m![5]! }));
      expect(got.partitionScheme).toBe('gpt');
      expect(got.partitions.map((p) => [p.index, p.offset, p.size])).toEqual(rows.map((r) => [r.index, r.offset, r.size]));
      if (name === 'gpt_esxi.bin') {
        expect(got.partitions.map((p) => p.index)).toEqual([1, 5, 6, 7, 8]); // MANIFEST
        expect(got.partitions.map((p) => p.name)).toEqual(rows.map((r) => r.name));
      } else {
        // The name field is all 0xFF: mmls shows U+FFFF characters, dissect an empty name.
        expect(got.partitions[0]!.name === '' || /^\uffff+$/.test(got.partitions[0]!.name)).toBe(true);
      }
    } else if (name === 'gpt_hybrid.bin') {
      // A hybrid MBR: sfdisk reads the GPT; so must we (MANIFEST: 3 GPT entries).
      expect(got.partitionScheme).toBe('gpt');
      expectPartitionsMatch(got, await sfdisk(copy));
    } else {
      expectPartitionsMatch(got, await sfdisk(copy));
    }
    await rm(copy);
  });

  it('fox-it-dissect.volume/gpt_4k.bin: 4 KiB sectors detected; partitions as mmls -b 4096 reads them', async () => {
    const path = join(REAL, 'fox-it-dissect.volume', 'gpt_4k.bin');
    const got = await info(path);
    expect(got.partitionScheme).toBe('gpt');
    expect(got.sectorSize).toBe(4096);
    const copy = join(work, 'gpt_4k.bin');
    await copyFile(path, copy);
    await chmod(copy, 0o644);
    await run('truncate', ['-s', '1G', copy]);
    const mmls = await run('mmls', ['-b', '4096', '-t', 'gpt', copy]);
    expect(mmls.code, mmls.stderr).toBe(0);
    const rows = mmls.stdout.split('\n').map((l) => /^\d+:\s+\d+\s+(\d+)\s+(\d+)\s+(\d+)\s+Linux filesystem/.exec(l)).filter((m) => m !== null);
    expect(rows).toHaveLength(3);
    expect(got.partitions.map((p) => [p.offset, p.size])).toEqual(rows.map((m) => [Number(m![1]) * 4096, Number(m![3]) * 4096]));
    expect(got.partitions.map((p) => p.guid?.slice(0, 8))).toEqual(['21b90a6e', 'c6f4ad42', 'b7230707']); // MANIFEST
    await rm(copy);
  });

  it.each(['fixed', 'dynamic'])('fox-it-dissect.hypervisor/%s.vhd: format, variant, size, chain, partitions', async (variant) => {
    const vhd = await gunzipTo(join(REAL, 'fox-it-dissect.hypervisor', `${variant}.vhd.gz`), `${variant}.vhd`);
    const got = await info(vhd);
    expect(got.format).toBe('vhd');
    expect(got.variant).toBe(variant);
    expect(got.virtualSize).toBe(await qemuVirtualSize(vhd, 'vpc'));
    expect(got.chain.map((c) => [basename(c.path), c.variant])).toEqual([[`${variant}.vhd`, variant]]);
    const raw = join(work, `${variant}.raw`);
    expect((await run('qemu-img', ['convert', '-f', 'vpc', '-O', 'raw', vhd, raw])).code).toBe(0);
    expectPartitionsMatch(got, await sfdisk(raw));
    expect(got.partitions[0]!.content).toBe('ntfs');
  });

  it('log2timeline-dfvfs/ext2.vhd: dynamic VHD made by qemu, CHS-rounded size, no partition table', async () => {
    const path = join(REAL, 'log2timeline-dfvfs', 'ext2.vhd');
    const got = await info(path);
    expect(got.format).toBe('vhd');
    expect(got.variant).toBe('dynamic');
    expect(got.virtualSize).toBe(await qemuVirtualSize(path, 'vpc'));
    expect(got.virtualSize).toBe(4_212_736); // MANIFEST: CHS 121/4/17
    expect(got.partitionScheme).toBe('none');
    expect(got.partitions).toEqual([]);
  });

  it('log2timeline-dfvfs/fat-differential.vhd: exit 2, one line naming the missing parent', async () => {
    const r = await run(process.execPath, [bin, 'info', join(REAL, 'log2timeline-dfvfs', 'fat-differential.vhd'), '--json']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/fat-parent\.vhd/);
    expect(lines[0]!.toLowerCase()).toContain('5fa21a55-f394-aa4d-9958-1951a67d5540'); // MANIFEST parent id
  });

  it('msuhanov-ntfs-samples: first MiB (a cut disk) and the whole disk', async () => {
    const cut = await gunzipTo(join(REAL, 'msuhanov-ntfs-samples', 'ntfs-lastaccess.raw.gz'), 'lastaccess.1m', 1 << 20);
    const got = await info(cut);
    expect(got.virtualSize).toBe(1 << 20);
    expectPartitionsMatch(got, await sfdisk(cut));
    expect(got.partitions[0]!.offset).toBe(128 * 512); // MANIFEST: NTFS at LBA 128
    expect(got.anomalies.join(' ')).toMatch(/beyond the end|truncated/);
    const whole = await gunzipTo(join(REAL, 'msuhanov-ntfs-samples', 'ntfs-lastaccess.raw.gz'), 'lastaccess.raw');
    const full = await info(whole);
    expect(full.virtualSize).toBe(256 << 20);
    expect(full.partitions[0]!.content).toBe('ntfs');
    expect(full.anomalies).toEqual([]);
    await rm(whole);
  });
});

describeWith(missingFixtures())('corrupt images: exit 2, one line naming the structure and the offset', { timeout: 300_000 }, () => {
  let dynamic: string;
  const cases: { name: string; make: (path: string) => Promise<void>; structure: RegExp }[] = [
    {
      name: 'footer-checksum.vhd',
      structure: /VHD footer.*checksum/i,
      make: async (path) => {
        const size = (await stat(path)).size;
        const fh = await open(path, 'r+');
        await fh.write(Buffer.from([0x00]), 0, 1, size - 512 + 64);
        await fh.write(Buffer.from([0x00]), 0, 1, 64);
        await fh.close();
      },
    },
    {
      name: 'bat-outside.vhd',
      structure: /BAT/,
      make: async (path) => {
        const fh = await open(path, 'r+');
        await fh.write(Buffer.from([0x7f, 0xff, 0xff, 0xf0]), 0, 4, 0x600);
        await fh.close();
      },
    },
    {
      name: 'truncated.vhd',
      structure: /VHD|BAT|footer/i,
      make: async (path) => {
        const fh = await open(path, 'r+');
        await fh.truncate(100_000);
        await fh.close();
      },
    },
    {
      name: 'gpt-crc.bin',
      structure: /GPT/,
      make: async (path) => {
        await copyFile(join(REAL, 'fox-it-dissect.volume', 'gpt.bin'), path);
        await chmod(path, 0o644);
        const fh = await open(path, 'r+');
        await fh.write(Buffer.from([0, 0]), 0, 2, 512 + 16);
        await fh.close();
      },
    },
  ];
  beforeAll(async () => {
    dynamic = await gunzipTo(join(REAL, 'fox-it-dissect.hypervisor', 'dynamic.vhd.gz'), 'dynamic-src.vhd');
  });

  async function corrupt(c: (typeof cases)[number]): Promise<{ path: string; r: Run }> {
    const path = join(work, c.name);
    if (c.name.endsWith('.vhd')) await copyFile(dynamic, path);
    await c.make(path);
    return { path, r: await run(process.execPath, [bin, 'info', path, '--json']) };
  }

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { r } = await corrupt(c);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(c.structure);
    expect(lines[0]).toMatch(/0x[0-9a-f]+/);
    expect(lines[0]).toMatch(/\[[A-Z0-9_]+\]$/);
    expect(r.stderr).not.toMatch(/internal error|\.js:\d+/);
  });

  // docs/cli.md: "one line names the file, the structure and the offset".
  it.each(cases.map((c) => [c.name, c] as const))('%s: the line names the file', async (_name, c) => {
    const { path, r } = await corrupt(c);
    expect(r.stderr).toContain(basename(path));
  });

  it('a missing file: exit 2, one line naming it', async () => {
    const r = await run(process.execPath, [bin, 'info', join(work, 'no-such-image.vhd')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('no-such-image.vhd');
    expect(existsSync(join(work, 'no-such-image.vhd'))).toBe(false);
  });
});
