/**
 * Descriptors written by test code for what qemu reads but cannot write
 * (vmfs, vmfsSparse COWD deltas, seSparse, multi-extent flat with offsets):
 * each must read as `qemu-img convert -O raw` reads it. vmfsThin (qemu: 
 * "Unsupported image type"), ZERO and NOACCESS extents are checked against
 * the bytes of the files they name. Extent names that leave the
 * descriptor's folder are refused unless allowed.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSource } from '@coldfix/io';
import { detectImageFormat, openDiskImage, type DiskImage } from '@coldfix/disk-image';
import { ensureImages } from '@coldfix/test-images';
import { cacheDir, realFixture, REAL, run, sha256, sha256Source } from './helpers.js';
import { lacks, makeCowd, qemuRawSha } from './vmdk-helpers.js';
import { existsSync } from 'node:fs';

const noQemu = lacks('qemu-img');
const SECTORS = 32768; // 16 MiB
let work: string;
let base: Uint8Array;

beforeAll(async () => {
  const catalog = await ensureImages(['raw-gpt']);
  work = mkdtempSync(join(cacheDir(), 'vmdk-desc-'));
  const fd = readFileSync(catalog.entries['raw-gpt']!.image);
  base = new Uint8Array(fd.subarray(0, SECTORS * 512));
  writeFileSync(join(work, 'base-flat.vmdk'), base);
}, 600_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function descriptor(name: string, createType: string, extents: string[], extra: Record<string, string> = {}): string {
  const lines = ['# Disk DescriptorFile', 'version=1', `CID=${extra.CID ?? 'fffffffe'}`, `parentCID=${extra.parentCID ?? 'ffffffff'}`, `createType="${createType}"`];
  if (extra.parentFileNameHint) lines.push(`parentFileNameHint="${extra.parentFileNameHint}"`);
  lines.push('', '# Extent description', ...extents, '', '# The Disk Data Base', '#DDB', '', 'ddb.virtualHWVersion = "4"', 'ddb.adapterType = "lsilogic"', '');
  const path = join(work, name);
  writeFileSync(path, lines.join('\n'));
  return path;
}

async function readAll(path: string, options = {}): Promise<{ image: DiskImage; sha: string }> {
  const image = await openDiskImage(path, options);
  try {
    return { image, sha: await sha256Source(image) };
  } finally {
    await image.close();
  }
}

describe.skipIf((noQemu) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('test-written descriptors read as qemu reads them', { timeout: 600_000 }, () => {
  it('vmfs (ESXi flat): one VMFS extent', async () => {
    const path = descriptor('vmfs.vmdk', 'vmfs', [`RW ${SECTORS} VMFS "base-flat.vmdk"`]);
    const file = await FileSource.open(path);
    expect(await detectImageFormat(file)).toEqual({ format: 'vmdk', variant: 'vmfs' });
    await file.close();
    const { image, sha } = await readAll(path);
    expect([image.variant, image.size, image.chain[0].cid]).toEqual(['vmfs', SECTORS * 512, 'fffffffe']);
    expect(sha).toBe(qemuRawSha(path));
    expect(sha).toBe(sha256(base));
  });

  it('vmfsThin: qemu refuses the createType; the virtual disk is the extent file', async () => {
    const path = descriptor('thin.vmdk', 'vmfsThin', [`RW ${SECTORS} VMFS "base-flat.vmdk"`]);
    expect(() => qemuRawSha(path)).toThrow(/Unsupported image type 'vmfsThin'/);
    const { image, sha } = await readAll(path);
    expect(image.variant).toBe('vmfsThin');
    expect(sha).toBe(sha256(base));
  });

  it('twoGbMaxExtentFlat with several FLAT extents at file offsets and a SPARSE extent', async () => {
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', join(work, 'base-flat.vmdk'), join(work, 'part-sparse.vmdk')]);
    const path = descriptor('multi.vmdk', 'twoGbMaxExtentFlat', [
      'RW 2048 FLAT "base-flat.vmdk" 100',
      'RW 4096 FLAT "base-flat.vmdk" 9000',
      `RW ${SECTORS} SPARSE "part-sparse.vmdk"`,
      'RW 1 FLAT "base-flat.vmdk" 34',
    ]);
    const { image, sha } = await readAll(path);
    expect(image.size).toBe((2048 + 4096 + SECTORS + 1) * 512);
    expect(sha).toBe(qemuRawSha(path));
    // Reads that straddle extent boundaries equal the same bytes cut from the files.
    const again = await openDiskImage(path);
    const cross = await again.read(2048 * 512 - 1000, 2000);
    await again.close();
    expect(sha256(cross)).toBe(sha256(new Uint8Array([...base.subarray(2148 * 512 - 1000, 2148 * 512), ...base.subarray(9000 * 512, 9000 * 512 + 1000)])));
  });

  it('ZERO and NOACCESS extents read as zeros between data extents (qemu 7.2 misreads ZERO lines; checked against the files)', async () => {
    const path = descriptor('zero.vmdk', 'twoGbMaxExtentFlat', ['RW 2048 FLAT "base-flat.vmdk" 0', 'RW 1024 ZERO', 'NOACCESS 8 FLAT "base-flat.vmdk" 0', 'RDONLY 2048 FLAT "base-flat.vmdk" 2048']);
    const { image, sha } = await readAll(path);
    const expected = new Uint8Array((2048 + 1024 + 8 + 2048) * 512);
    expected.set(base.subarray(0, 2048 * 512), 0);
    expected.set(base.subarray(2048 * 512, 4096 * 512), (2048 + 1024 + 8) * 512);
    expect(sha).toBe(sha256(expected));
    expect(image.anomalies.join('\n')).toMatch(/NOACCESS/);
  });

  it('vmfsSparse: a COWD delta over a vmfs parent, CID-checked', async () => {
    const parent = descriptor('esx.vmdk', 'vmfs', [`RW ${SECTORS} VMFS "base-flat.vmdk"`], { CID: '1234abcd' });
    const grainSectors = 2; // 16,384 grains: four grain tables
    const grains = new Map<number, Uint8Array>();
    for (const [g, fill] of [[0, 0x11], [5, 0x22], [6, 0x33], [4095, 0x44], [4096, 0x55], [SECTORS / grainSectors - 1, 0x66]] as const) {
      grains.set(g, new Uint8Array(grainSectors * 512).fill(fill).map((v, i) => (i % 512 === 0 ? g & 0xff : v)));
    }
    writeFileSync(join(work, 'esx-delta.vmdk'), makeCowd(SECTORS, grainSectors, grains));
    const path = descriptor('esx-000001.vmdk', 'vmfsSparse', [`RW ${SECTORS} VMFSSPARSE "esx-delta.vmdk"`], { CID: '99990000', parentCID: '1234abcd', parentFileNameHint: 'esx.vmdk' });
    const { image, sha } = await readAll(path);
    expect(image.variant).toBe('vmfsSparse');
    expect(image.chain.map((c) => c.path)).toEqual([path, parent]);
    expect(sha).toBe(qemuRawSha(path));
    // Independent of both readers: the delta's grains over the base's bytes.
    const expected = new Uint8Array(base);
    for (const [g, data] of grains) expected.set(data, g * grainSectors * 512);
    expect(sha).toBe(sha256(expected));
    // The standalone COWD opens too (no parent known: unallocated grains are zeros).
    const alone = await openDiskImage(join(work, 'esx-delta.vmdk'));
    expect(alone.variant).toBe('vmfsSparse');
    expect(alone.anomalies.join('\n')).toMatch(/without its descriptor/);
    expect((await alone.read(grainSectors * 512, 512)).every((b) => b === 0)).toBe(true);
    await alone.close();
  });

  it('uncleanShutdown set in the sparse header: reported in the chain and anomalies; the data reads as qemu reads it', async () => {
    const path = join(work, 'unclean.vmdk');
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', join(work, 'base-flat.vmdk'), path]);
    const bytes = readFileSync(path);
    expect(bytes[72]).toBe(0);
    bytes[72] = 1; // SparseExtentHeader.uncleanShutdown
    writeFileSync(path, bytes);
    const { image, sha } = await readAll(path);
    expect(image.chain[0].uncleanShutdown).toBe(true);
    expect(image.anomalies.join('\n')).toMatch(/uncleanShutdown is set/);
    expect(sha).toBe(qemuRawSha(path));
  });

  it.skipIf((!existsSync(REAL)) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('seSparse (dissect ESXi fixture) through a descriptor: qemu and the MANIFEST sha256 agree', async () => {
    copyFileSync(realFixture('fox-it-dissect.hypervisor/sesparse.vmdk.gz'), join(work, 'se-sesparse.vmdk'));
    const path = descriptor('se.vmdk', 'seSparse', ['RW 1048576 SESPARSE "se-sesparse.vmdk"']);
    const { image, sha } = await readAll(path);
    expect([image.variant, image.size]).toEqual(['seSparse', 512 << 20]);
    expect(sha).toBe('3afa48010241335528fe402f083fc9f3a1013a49485221443a78d9a8604e2f90');
    expect(sha).toBe(qemuRawSha(path));
  });
});

describe('extent and parent names are untrusted', { timeout: 600_000 }, () => {
  it('an extent name leaving the folder (../, absolute) is a typed error; allowOutsidePaths opens it', async () => {
    const inner = mkdtempSync(join(work, 'inner-'));
    for (const name of ['../base-flat.vmdk', join(work, 'base-flat.vmdk'), 'C:\\\\vm\\\\base-flat.vmdk', 'sub/../../base-flat.vmdk']) {
      const path = join(inner, 'escape.vmdk');
      writeFileSync(path, `# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="vmfs"\nRW ${SECTORS} VMFS "${name}"\n`);
      await expect(openDiskImage(path)).rejects.toMatchObject({ kind: 'corrupt', code: 'VMDK_PATH_OUTSIDE' });
    }
    writeFileSync(join(inner, 'escape.vmdk'), `# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="vmfs"\nRW ${SECTORS} VMFS "../base-flat.vmdk"\n`);
    const { sha } = await readAll(join(inner, 'escape.vmdk'), { vmdk: { allowOutsidePaths: true } });
    expect(sha).toBe(sha256(base));
  });

  it('a parentFileNameHint leaving the folder is only tried by its base name beside the child', async () => {
    const inner = mkdtempSync(join(work, 'hint-'));
    copyFileSync(join(work, 'base-flat.vmdk'), join(inner, 'base-flat.vmdk'));
    writeFileSync(join(inner, 'p.vmdk'), `# Disk DescriptorFile\nversion=1\nCID=0000beef\nparentCID=ffffffff\ncreateType="vmfs"\nRW ${SECTORS} VMFS "base-flat.vmdk"\n`);
    writeFileSync(join(inner, 'c-delta.vmdk'), makeCowd(SECTORS, 16, new Map([[1, new Uint8Array(8192).fill(9)]])));
    writeFileSync(
      join(inner, 'c.vmdk'),
      `# Disk DescriptorFile\nversion=1\nCID=00000001\nparentCID=0000beef\ncreateType="vmfsSparse"\nparentFileNameHint="/vmfs/volumes/datastore1/vm/p.vmdk"\nRW ${SECTORS} VMFSSPARSE "c-delta.vmdk"\n`,
    );
    const image = await openDiskImage(join(inner, 'c.vmdk'));
    expect(image.chain.map((c) => c.path)).toEqual([join(inner, 'c.vmdk'), join(inner, 'p.vmdk')]);
    await image.close();
  });
});
