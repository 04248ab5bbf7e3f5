/**
 * Writes into hosted sparse VMDKs (monolithicSparse base and a delta leaf),
 * through the undo journal: afterwards `qemu-img check` exits 0, `qemu-img
 * compare` against the expected virtual disk (the original as qemu reads it,
 * with our bytes put in by the test) reports identical images, the parent is
 * byte-identical to before, and the leaf has a new CID. Kinds we do not write
 * are refused with a typed error; rollback restores the file exactly.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitImage, journaledFileOpener, rollbackImage } from '@coldfix/io';
import { openDiskImage } from '@coldfix/disk-image';
import { cacheDir, makeRawContent, qemuRaw, run, sha256File } from './helpers.js';
import { lacks } from './vmdk-helpers.js';

const noQemu = lacks('qemu-img', 'qemu-io');
const SIZE = 8 << 20;
let work: string;
let raw: string;

beforeAll(() => {
  work = mkdtempSync(join(cacheDir(), 'vmdk-write-'));
  raw = join(work, 'content.raw');
  writeFileSync(raw, makeRawContent(SIZE, 5));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cidOf = (path: string) => /^CID=([0-9a-f]+)/m.exec(readFileSync(path).toString('latin1'))![1];
const parentCidOf = (path: string) => /^parentCID=([0-9a-f]+)/m.exec(readFileSync(path).toString('latin1'))![1];

/** Our writes, applied to a copy of the expected bytes by the test itself. */
const WRITES: Array<[number, Uint8Array]> = [
  [(1 << 20) + 100, new Uint8Array(70_000).map((_, i) => (i * 7) & 0xff)], // crosses grains, partial at both ends
  [(1 << 20) + 200, new Uint8Array(512).fill(0xee)], // again into a grain allocated by the first write: in place
  [SIZE - 512, new Uint8Array(512).fill(0x3c)], // the last sector
  [3 << 20, new Uint8Array(64 << 10).fill(0x44)], // one whole grain
];

function expected(before: Uint8Array): Uint8Array {
  const model = new Uint8Array(before);
  for (const [at, data] of WRITES) model.set(data, at);
  return model;
}

function qemuCompare(a: string, b: string): number {
  return spawnSync('qemu-img', ['compare', a, b], { encoding: 'utf8' }).status ?? -1;
}

describe.skipIf((noQemu) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('writes into hosted sparse VMDKs', () => {
  it('a delta leaf: COW from the parent, new CID, qemu-img check 0, compare identical, parent untouched; rollback exact', async () => {
    const dir = mkdtempSync(join(work, 'delta-'));
    const base = join(dir, 'base.vmdk');
    const leaf = join(dir, 'leaf.vmdk');
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', raw, base]);
    run('qemu-img', ['create', '-f', 'vmdk', '-b', 'base.vmdk', '-F', 'vmdk', leaf]);
    run('qemu-io', ['-c', 'write -P 0x99 3M 8k', leaf]); // an allocated grain in the leaf, written again in place by WRITES[3]
    const before = qemuRaw(leaf);
    const baseSha = sha256File(base);
    const pristine = join(dir, 'pristine.vmdk');
    copyFileSync(leaf, pristine);
    const oldCid = cidOf(leaf);

    const openFile = journaledFileOpener();
    const image = await openDiskImage(leaf, { writable: true, openFile });
    for (const [at, data] of WRITES) await image.write(at, data);
    expect(image.chain[0].cid).not.toBe(oldCid);
    await image.close();

    const want = join(dir, 'want.raw');
    writeFileSync(want, expected(before));
    expect(spawnSync('qemu-img', ['check', leaf]).status).toBe(0);
    expect(qemuCompare(want, leaf)).toBe(0);
    expect(qemuCompare(pristine, leaf)).toBe(1);
    expect(sha256File(base)).toBe(baseSha);
    expect(cidOf(leaf)).not.toBe(oldCid);
    expect(parentCidOf(leaf)).toBe(cidOf(base));
    // Our reader agrees with qemu on the result.
    const again = await openDiskImage(leaf);
    expect(Buffer.compare(Buffer.from(await again.read(0, SIZE)), readFileSync(want))).toBe(0);
    await again.close();

    await rollbackImage(leaf);
    expect(sha256File(leaf)).toBe(sha256File(pristine));
  }, 300_000);

  it('a monolithicSparse base without parent: redundant grain tables kept in step (qemu-img check 0), committed journal', async () => {
    const dir = mkdtempSync(join(work, 'base-'));
    const path = join(dir, 'disk.vmdk');
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', raw, path]);
    const before = qemuRaw(path);
    const openFile = journaledFileOpener();
    const image = await openDiskImage(path, { writable: true, openFile });
    for (const [at, data] of WRITES) await image.write(at, data);
    for (const file of openFile.opened) await file.complete();
    await image.close();
    await commitImage(path);
    const want = join(dir, 'want.raw');
    writeFileSync(want, expected(before));
    expect(spawnSync('qemu-img', ['check', path]).status).toBe(0);
    expect(qemuCompare(want, path)).toBe(0);
    // The redundant tables: a copy whose primary GD is pointed at the redundant one reads the same.
    const bytes = Buffer.from(readFileSync(path));
    const rgd = bytes.readBigUInt64LE(48);
    bytes.writeBigUInt64LE(rgd, 56);
    const swapped = join(dir, 'swapped.vmdk');
    writeFileSync(swapped, bytes);
    expect(qemuCompare(want, swapped)).toBe(0);
  }, 300_000);

  it('kinds we do not write are refused with a typed error and stay byte-identical', async () => {
    const dir = mkdtempSync(join(work, 'refuse-'));
    for (const sub of ['streamOptimized', 'monolithicFlat', 'twoGbMaxExtentSparse']) {
      const path = join(dir, `${sub}.vmdk`);
      run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', `subformat=${sub}`, raw, path]);
      const sha = sha256File(path);
      const image = await openDiskImage(path, { writable: true });
      expect((image as { writable?: boolean }).writable).toBeUndefined();
      await expect(image.write(0, new Uint8Array(512))).rejects.toMatchObject({ kind: 'unsupported', code: 'VMDK_WRITE_UNSUPPORTED' });
      await image.close();
      expect(sha256File(path)).toBe(sha);
    }
    const ro = await openDiskImage(join(dir, 'streamOptimized.vmdk'));
    await expect(ro.write(0, new Uint8Array(512))).rejects.toMatchObject({ code: 'READ_ONLY' });
    await ro.close();
  }, 300_000);
});
