/**
 * VMDKs made by qemu-img from the catalog's raw-gpt disk (GPT: EFI, MSR, NTFS
 * basic data, recovery): every subformat qemu writes, sparse delta chains
 * with qemu-io writes, and a streamOptimized variant with its grain directory
 * at the end (footer). Each must read byte-identical to `qemu-img convert -O
 * raw`, and to libvmdk's vmdkmount where libvmdk reads it; CIDs as vmdkinfo
 * prints them. Chain errors: a CID mismatch and a missing parent are typed
 * errors naming the files.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSource } from '@coldfix/io';
import { detectImageFormat, openDiskImage, type DiskImage } from '@coldfix/disk-image';
import { ensureImages } from '@coldfix/test-images';
import { cacheDir, run, sha256Source } from './helpers.js';
import { lacks, libvmdkRawSha, qemuRawSha, sha256FileStream, vmdkinfo } from './vmdk-helpers.js';

const SUBFORMATS = ['monolithicSparse', 'monolithicFlat', 'twoGbMaxExtentSparse', 'twoGbMaxExtentFlat', 'streamOptimized'] as const;
const noQemu = lacks('qemu-img', 'qemu-io');
const noLibvmdk = lacks('vmdkmount', 'vmdkinfo');
/** libvmdk 20200926 says "Unsupported disk type" for monolithicFlat, and fails (EIO) on zeroed-grain entries. */
const LIBVMDK_READS: readonly string[] = ['monolithicSparse', 'twoGbMaxExtentSparse', 'twoGbMaxExtentFlat', 'streamOptimized'];

let work: string;
let source: string;
let sourceSha: string;

beforeAll(async () => {
  const catalog = await ensureImages(['raw-gpt']);
  source = catalog.entries['raw-gpt']!.image;
  sourceSha = sha256FileStream(source);
  work = mkdtempSync(join(cacheDir(), 'vmdk-qemu-'));
}, 600_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function detect(path: string) {
  const file = await FileSource.open(path);
  try {
    return await detectImageFormat(file);
  } finally {
    await file.close();
  }
}

async function withImage<T>(path: string, fn: (image: DiskImage) => Promise<T>, options = {}): Promise<T> {
  const image = await openDiskImage(path, options);
  try {
    return await fn(image);
  } finally {
    await image.close();
  }
}

/** A descriptor field read straight from the file's text (not through our parser). */
function descriptorField(path: string, key: string): string {
  return new RegExp(`^${key}=([0-9a-f]+)`, 'm').exec(readFileSync(path).toString('latin1'))![1];
}

const cidOf = (path: string) => vmdkinfo(path)['Content identifier']?.replace(/^0x/, '');

describe.skipIf((noQemu) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('qemu-img convert -O vmdk of the raw-gpt disk', () => {
  for (const subformat of SUBFORMATS) {
    const libvmdk = !noLibvmdk && LIBVMDK_READS.includes(subformat);
    it(`${subformat}: detected by content, virtual disk equals qemu-img convert -O raw${libvmdk ? ' and libvmdk' : ''}`, async () => {
      const path = join(work, `${subformat}.vmdk`);
      run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', `subformat=${subformat}`, source, path]);
      expect(await detect(path)).toEqual({ format: 'vmdk', variant: subformat });
      const qemu = qemuRawSha(path);
      expect(qemu).toBe(sourceSha);
      await withImage(path, async (image) => {
        expect([image.format, image.variant, image.size]).toEqual(['vmdk', subformat, statSync(source).size]);
        expect(image.chain).toHaveLength(1);
        expect(await sha256Source(image)).toBe(qemu);
        if (libvmdk) expect(image.chain[0].cid).toBe(cidOf(path));
      });
      if (libvmdk) expect(libvmdkRawSha(path)).toBe(qemu);
    }, 600_000);
  }

  it('streamOptimized with the grain directory at the end (GD_AT_END + footer, as VMware writes OVAs) equals qemu', async () => {
    const plain = join(work, 'so-plain.vmdk');
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', source, plain]);
    const bytes = readFileSync(plain);
    const header = Buffer.from(bytes.subarray(0, 512));
    const marker = Buffer.alloc(512);
    marker.writeBigUInt64LE(1n, 0);
    marker.writeUInt32LE(3, 12); // footer marker
    const moved = Buffer.concat([bytes, marker, header, Buffer.alloc(512)]);
    moved.writeBigUInt64LE(0xffffffffffffffffn, 56); // header at 0: gdOffset = GD_AT_END
    const path = join(work, 'so-footer.vmdk');
    writeFileSync(path, moved);
    const qemu = qemuRawSha(path);
    expect(qemu).toBe(sourceSha);
    await withImage(path, async (image) => {
      expect(image.variant).toBe('streamOptimized');
      expect(await sha256Source(image)).toBe(qemu);
    });
  }, 600_000);
});

describe.skipIf((noQemu) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('sparse delta chains (qemu-img create -b, qemu-io writes)', () => {
  let base: string;
  let d1: string;
  let d2: string;
  let z1: string;
  beforeAll(() => {
    const dir = join(work, 'chain');
    run('mkdir', ['-p', dir]);
    base = join(dir, 'base.vmdk');
    d1 = join(dir, 'd1.vmdk');
    d2 = join(dir, 'd2.vmdk');
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', source, base]);
    z1 = join(dir, 'z1.vmdk');
    run('qemu-img', ['create', '-f', 'vmdk', '-b', 'base.vmdk', '-F', 'vmdk', d1]);
    // Across grain boundaries, zeros written as data, the last sector.
    const size = statSync(source).size;
    run('qemu-io', ['-c', 'write -P 0xa5 1049088 300k', '-c', 'write -z 4M 128k', '-c', `write -P 0x3c ${size - 512} 512`, d1]);
    // zeroed_grain=on: `write -z` stores grain table entry 1 (reads zeros, the parent hidden).
    run('qemu-img', ['create', '-f', 'vmdk', '-o', 'zeroed_grain=on', '-b', 'base.vmdk', '-F', 'vmdk', z1]);
    run('qemu-io', ['-c', 'write -z 1M 256k', '-c', 'write -P 0x42 1344k 4k', z1]);
    run('qemu-img', ['create', '-f', 'vmdk', '-b', 'd1.vmdk', '-F', 'vmdk', d2]);
    run('qemu-io', ['-c', 'write -P 0x5a 1100k 8k', '-c', 'write -P 0x11 20M 64k', d2]);
  }, 600_000);

  it('each member reads as qemu (and libvmdk) reads it; chain, CIDs and parent CIDs as vmdkinfo prints them', async () => {
    for (const [path, depth] of [[d1, 2], [d2, 3]] as const) {
      const qemu = qemuRawSha(path);
      await withImage(path, async (image) => {
        expect(image.chain.map((c) => c.path)).toEqual([d2, d1, base].slice(3 - depth));
        expect(await sha256Source(image)).toBe(qemu);
        if (!noLibvmdk) {
          const info = vmdkinfo(path);
          expect(image.chain[0].cid).toBe(info['Content identifier'].replace(/^0x/, ''));
          expect(image.chain[0].parentCid).toBe(info['Parent content identifier'].replace(/^0x/, ''));
        }
        expect(image.chain[0].parentCid).toBe(image.chain[1].cid);
      });
      if (!noLibvmdk) expect(libvmdkRawSha(path)).toBe(qemu);
    }
  }, 600_000);

  it('zeroed-grain entries (zeroed_grain=on) read as zeros, hiding the parent, as qemu reads them', async () => {
    const qemu = qemuRawSha(z1);
    await withImage(z1, async (image) => {
      expect(await sha256Source(image)).toBe(qemu);
      expect((await image.read(1 << 20, 256 << 10)).every((b) => b === 0)).toBe(true);
      const base = readFileSync(source).subarray(1 << 20, (1 << 20) + (256 << 10));
      expect(base.some((b) => b !== 0)).toBe(true); // the parent has data there: the zeros are the child's
    });
  }, 600_000);

  it('a parent written after the snapshot (its CID changed) is a ParentMismatchError naming both files; ignoreParentCid reads it as qemu does', async () => {
    const dir = mkdtempSync(join(work, 'cid-'));
    for (const f of [base, d1, d2]) copyFileSync(f, join(dir, f.split('/').pop()!));
    run('qemu-io', ['-c', 'write -P 0x77 0 4k', join(dir, 'd1.vmdk')]);
    const child = join(dir, 'd2.vmdk');
    const parent = join(dir, 'd1.vmdk');
    const error = await openDiskImage(child).then(() => undefined, (e: unknown) => e as { kind: string; code: string; message: string; details: Record<string, unknown> });
    expect(error).toMatchObject({ kind: 'parent-mismatch', code: 'VMDK_PARENT_CID_MISMATCH' });
    expect(error!.message).toContain(child);
    expect(error!.message).toContain(parent);
    expect(error!.details.parentCid).toBe(descriptorField(child, 'parentCID'));
    // qemu refuses the same chain on read (vmdk_is_cid_valid).
    expect(() => qemuRawSha(child)).toThrow(/Invalid argument/);
    // The oracle for the override: a copy of the child whose parentCID names the parent's new CID.
    const patched = join(dir, 'patched.vmdk');
    const bytes = readFileSync(child);
    const text = bytes.toString('latin1');
    const newCid = descriptorField(parent, 'CID');
    expect(newCid).not.toBe(descriptorField(child, 'parentCID'));
    const at = text.indexOf('parentCID=') + 'parentCID='.length;
    bytes.write(newCid, at, 'latin1');
    writeFileSync(patched, bytes);
    const qemu = qemuRawSha(patched);
    await withImage(
      child,
      async (image) => {
        expect(image.anomalies.join('\n')).toMatch(/parentCID .* differs/);
        expect(await sha256Source(image)).toBe(qemu);
      },
      { vmdk: { ignoreParentCid: true } },
    );
  }, 600_000);

  it('a missing parent is a NotFoundError naming the child, the hint and the paths tried', async () => {
    const dir = mkdtempSync(join(work, 'missing-'));
    for (const f of [d1, d2]) copyFileSync(f, join(dir, f.split('/').pop()!));
    const error = await openDiskImage(join(dir, 'd2.vmdk')).then(() => undefined, (e: unknown) => e as { kind: string; code: string; message: string; details: { tried: string[] } });
    expect(error).toMatchObject({ kind: 'not-found', code: 'VMDK_PARENT_NOT_FOUND' });
    expect(error!.message).toContain(join(dir, 'd1.vmdk'));
    expect(error!.message).toContain(join(dir, 'base.vmdk'));
    expect(error!.details.tried).toContain(join(dir, 'base.vmdk'));
  }, 600_000);
});
