/**
 * The CLI over a VMDK chain: the catalog's windows-sample disk (GPT, NTFS "Windows" with CrowdStrike
 * channel files) converted by `qemu-img convert -O vmdk` (monolithicSparse) with a delta on top
 * (`qemu-img create -b`, a qemu-io write into the gap before the first partition). Oracles: vmdkinfo
 * (CIDs), qemu-img info (virtual size), sfdisk --json on the catalog's raw disk (partitions), the
 * catalog's file facts (names, sizes, sha256 of the CrowdStrike files), and the files' own hashes
 * (a dry run changes nothing); after an in-place repair of the leaf: qemu-img check, fls on qemu's raw
 * copy, rollback byte-identical.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImages, type CatalogEntry } from '@coldfix/test-images';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const bin = join(repo, 'cli/bin/coldfix.js');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const missing = !['qemu-img', 'qemu-io', 'vmdkinfo', 'sfdisk', 'fls'].every(has) && process.env.COLDFIX_REQUIRE_ORACLES !== '1';

function run(cmd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 600_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
const coldfix = (...args: string[]) => run(process.execPath, [bin, ...args]);
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

let work: string;
let sample: CatalogEntry;
let base: string;
let child: string;
const CS_DIR = '/Windows/System32/drivers/CrowdStrike';

beforeAll(async () => {
  if (missing) return;
  sample = (await ensureImages(['windows-sample'])).entries['windows-sample']!;
  work = mkdtempSync(join(repo, 'test-images/cache/vmdk-cli-'));
  base = join(work, 'win.vmdk');
  child = join(work, 'win-000001.vmdk');
  expect(run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', sample.image, base]).code).toBe(0);
  expect(run('qemu-img', ['create', '-f', 'vmdk', '-b', 'win.vmdk', '-F', 'vmdk', child]).code).toBe(0);
  expect(run('qemu-io', ['-c', 'write -P 0x5c 600k 64k', child]).code).toBe(0);
}, 600_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf((missing) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('coldfix over a VMDK delta chain', { timeout: 600_000 }, () => {
  it('info --json: chain with CIDs (vmdkinfo), virtual size (qemu-img), partitions (sfdisk on the raw disk)', () => {
    const r = coldfix('info', child, '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const cid = (p: string, key: string) => /:\s+0x([0-9a-f]+)/.exec(run('vmdkinfo', [p]).stdout.split('\n').find((l) => l.includes(key))!)![1];
    expect(doc).toMatchObject({ format: 'vmdk', variant: 'monolithicSparse' });
    expect(doc.chain).toEqual([
      { path: child, format: 'vmdk', variant: 'monolithicSparse', virtualSize: sample.virtualSize, cid: cid(child, 'Content identifier'), parentCid: cid(child, 'Parent content identifier'), uncleanShutdown: false },
      { path: base, format: 'vmdk', variant: 'monolithicSparse', virtualSize: sample.virtualSize, cid: cid(base, 'Content identifier'), parentCid: 'ffffffff', uncleanShutdown: false },
    ]);
    expect(doc.virtualSize).toBe(JSON.parse(run('qemu-img', ['info', '--output=json', child]).stdout)['virtual-size']);
    const table = JSON.parse(run('sfdisk', ['--json', sample.image]).stdout).partitiontable;
    expect(doc.partitions.map((p: { offset: number; size: number }) => [p.offset, p.size])).toEqual(table.partitions.map((p: { start: number; size: number }) => [p.start * 512, p.size * 512]));
    const text = coldfix('info', child);
    expect(text.stdout).toContain(`${child} (vmdk monolithicSparse, CID ${doc.chain[0].cid}, parent CID ${doc.chain[1].cid})`);
  });

  it('info shows the unclean-shutdown flag of a hosted sparse header (text and JSON)', () => {
    const path = join(work, 'unclean.vmdk');
    expect(run('qemu-img', ['create', '-f', 'vmdk', path, '16M']).code).toBe(0);
    const bytes = readFileSync(path);
    bytes[72] = 1; // SparseExtentHeader.uncleanShutdown
    writeFileSync(path, bytes);
    const json = JSON.parse(coldfix('info', '--json', path).stdout);
    expect(json.chain[0]).toMatchObject({ format: 'vmdk', variant: 'monolithicSparse', uncleanShutdown: true });
    expect(coldfix('info', path).stdout).toMatch(/UNCLEAN SHUTDOWN/);
  });

  it('ls and cat: the CrowdStrike folder as the catalog built it (names, sizes, sha256)', () => {
    const facts = (JSON.parse(readFileSync(sample.volumes.find((v) => v.fs === 'ntfs')!.filesPath!, 'utf8')) as Array<{ path: string; type: string; size?: number; sha256?: string }>).filter(
      (f) => f.path.startsWith(`${CS_DIR}/`) && !f.path.slice(CS_DIR.length + 1).includes('/'),
    );
    expect(facts.length).toBeGreaterThan(3);
    const r = coldfix('ls', '--json', '--partition', '3', child, CS_DIR);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { path: string; size: number });
    expect(rows.map((e) => [e.path, e.size]).sort()).toEqual(facts.map((f) => [f.path, f.size ?? 0]).sort());
    for (const file of (sample.extra as { crowdstrike: Array<{ path: string; sha256: string }> }).crowdstrike.filter((c) => c.path.startsWith(`${CS_DIR}/C-00000291`))) {
      const out = spawnSync(process.execPath, [bin, 'cat', '--partition', '3', child, file.path], { maxBuffer: 64 << 20 });
      expect(out.status).toBe(0);
      expect(createHash('sha256').update(out.stdout).digest('hex')).toBe(file.sha256);
    }
  });

  it('verify and repair --dry-run: the catalog CrowdStrike matches, exit 3, the chain byte-identical afterwards', () => {
    const before = [sha(child), sha(base)];
    // The catalog lists every CrowdStrike file; the rule matches C-00000291*.sys.
    const expected = (sample.extra as { crowdstrike: Array<{ path: string; name: string }> }).crowdstrike.filter((c) => /^C-00000291.*\.sys$/i.test(c.name)).map((c) => c.path).sort();
    expect(expected).toHaveLength(4);
    const verify = coldfix('verify', '--json', child);
    expect(verify.code, verify.stderr).toBe(3);
    const found = JSON.parse(verify.stdout).volumes.flatMap((v: { matches: Array<{ path: string }> }) => v.matches.map((m) => m.path.replace(/\\/g, '/'))).sort();
    expect(found).toEqual(expected);
    const dry = coldfix('repair', '--dry-run', '--json', child);
    expect(dry.code, dry.stderr).toBe(3);
    const report = JSON.parse(dry.stdout);
    expect(report.mode).toBe('dry-run');
    expect(JSON.stringify(report)).toContain('C-00000291-00000000-00000032.sys');
    expect([sha(child), sha(base)]).toEqual(before);
  });

  it('repair in place of the delta leaf: the parent untouched, qemu-img check 0, verify clean, rollback byte-identical', () => {
    const leafBefore = sha(child);
    const baseBefore = sha(base);
    const r = coldfix('repair', '--json', child);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).mode).toBe('in-place');
    expect(sha(base)).toBe(baseBefore);
    expect(sha(child)).not.toBe(leafBefore);
    expect(run('qemu-img', ['check', child]).code).toBe(0);
    const after = coldfix('verify', '--json', child);
    expect(after.code, after.stderr).toBe(0);
    // The CrowdStrike 291 files are gone as qemu reads the chain (TSK lists the NTFS partition of qemu's raw copy).
    const flat = join(work, 'after.raw');
    expect(run('qemu-img', ['convert', '-O', 'raw', child, flat]).code).toBe(0);
    const ntfs = sample.volumes.find((v) => v.fs === 'ntfs')!;
    const listing = run('fls', ['-r', '-p', '-o', String(ntfs.offset / 512), flat]).stdout;
    rmSync(flat);
    expect(listing).toContain('C-00000001-00000000-00000044.sys');
    expect(listing.split('\n').filter((l) => /C-00000291.*\.sys/.test(l) && !l.includes('*'))).toEqual([]);
    const rollback = coldfix('rollback', child);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(sha(child)).toBe(leafBefore);
    expect(sha(base)).toBe(baseBefore);
  });

  it('a descriptor-based (twoGbMaxExtentSparse) VMDK is not written in place: a typed refusal, files unchanged', () => {
    const split = join(work, 'split.vmdk');
    expect(run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=twoGbMaxExtentSparse', sample.image, split]).code).toBe(0);
    const before = sha(split);
    const r = coldfix('repair', split);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/READ_ONLY|VMDK_WRITE_UNSUPPORTED/);
    expect(sha(split)).toBe(before);
  });

  it('repair --output of a streamOptimized VMDK (read-only kind): a flattened raw copy, repaired; the VMDK unchanged', () => {
    const stream = join(work, 'stream.vmdk');
    expect(run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', sample.image, stream]).code).toBe(0);
    const before = sha(stream);
    const out = join(work, 'stream-repaired.raw');
    const r = coldfix('repair', '--json', '--output', out, stream);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).mode).toBe('output');
    expect(sha(stream)).toBe(before);
    expect(run('qemu-img', ['info', '--output=json', out]).stdout).toContain('"format": "raw"');
    const ntfs = sample.volumes.find((v) => v.fs === 'ntfs')!;
    const listing = run('fls', ['-r', '-p', '-o', String(ntfs.offset / 512), out]).stdout;
    expect(listing).toContain('C-00000001-00000000-00000044.sys');
    expect(listing.split('\n').filter((l) => /C-00000291.*\.sys/.test(l) && !l.includes('*'))).toEqual([]);
    expect(coldfix('verify', out).code).toBe(0);
  });
});
