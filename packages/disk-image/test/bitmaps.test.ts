/**
 * Sector bitmaps with clear bits (as Windows writes them; qemu never does):
 * a clear bit reads zeros in a dynamic disk and the parent's sector in a
 * differencing disk. libvhdi is the oracle (qemu ignores bitmaps). Writing into
 * such a block materialises it, after which qemu and libvhdi agree on it too.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDifferencingVhd, openDiskImage } from '@coldfix/disk-image';
import { cacheDir, checkVhdStructure, ensureFile, libvhdiRaw, makeRawContent, qemuRaw, run, scratchDir, sha256, sha256Source } from './helpers.js';

const SIZE = 8 << 20;
const BLOCK = 2 << 20;
const rawPath = ensureFile(join(cacheDir(), 'b-content.raw'), () => makeRawContent(SIZE, 99));
const scratch = scratchDir('bitmaps');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Appends block `block` to the VHD at `path` by hand (independent of our
 * writer): data of 0xEE, and a bitmap where every third byte (8 sectors, 4 KiB)
 * is set. Byte granularity, as Windows writes: libvhdi 20210425 misreads
 * sub-byte patterns (it treats every sector after the first set bit of a byte
 * as set), so it is no oracle for those; `sparseBits` adds them for our own check.
 */
function appendPartialBlock(path: string, block: number, sparseBits = false): void {
  const b = readFileSync(path);
  const footer = b.subarray(b.length - 512);
  const table = Number(b.readBigUInt64BE(512 + 16));
  const bitmap = Buffer.alloc(512);
  for (let i = 1; i < 512; i += 3) bitmap[i] = 0xff;
  if (sparseBits) bitmap[2] = 0b10100000; // sectors 16 and 18 set, 17 and 19–23 clear
  const data = Buffer.alloc(BLOCK, 0xee);
  const at = b.length - 512;
  b.writeUInt32BE(at / 512, table + block * 4);
  writeFileSync(path, Buffer.concat([b.subarray(0, at), bitmap, data, footer]));
}

describe('partial sector bitmaps', () => {
  it('dynamic: clear bits read as zeros, like libvhdi', async () => {
    const path = join(scratch, 'dyn.vhd');
    run('qemu-img', ['create', '-f', 'vpc', '-o', 'subformat=dynamic,force_size=on', path, `${SIZE}`]);
    appendPartialBlock(path, 1);
    const image = await openDiskImage(path);
    const ours = await image.read(0, SIZE);
    await image.close();
    expect(ours[BLOCK]).toBe(0); // sector 0 of block 1: clear
    expect(ours[BLOCK + 8 * 512]).toBe(0xee); // sector 8: set
    expect(sha256(libvhdiRaw(path))).toBe(sha256(ours));
  });

  it('dynamic: sub-byte bitmap patterns follow the specification (one bit per sector, MSB first)', async () => {
    const path = join(scratch, 'dyn-bits.vhd');
    run('qemu-img', ['create', '-f', 'vpc', '-o', 'subformat=dynamic,force_size=on', path, `${SIZE}`]);
    appendPartialBlock(path, 1, true);
    const image = await openDiskImage(path);
    const sectors = await image.read(BLOCK + 16 * 512, 8 * 512);
    await image.close();
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((s) => sectors[s * 512])).toEqual([0xee, 0, 0xee, 0, 0, 0, 0, 0]);
  });

  it('differencing: clear bits read the parent, like libvhdi; a write materialises the block for qemu too', async () => {
    const parent = join(scratch, 'p.vhd');
    const child = join(scratch, 'c.vhd');
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', rawPath, parent]);
    await createDifferencingVhd(child, parent);
    appendPartialBlock(child, 2);
    const raw = readFileSync(rawPath);
    const image = await openDiskImage(child, { writable: true });
    const before = await image.read(0, SIZE);
    expect(before.subarray(2 * BLOCK, 2 * BLOCK + 512)).toEqual(new Uint8Array(raw.subarray(2 * BLOCK, 2 * BLOCK + 512)));
    expect(before[2 * BLOCK + 8 * 512]).toBe(0xee);
    expect(sha256(libvhdiRaw(child))).toBe(sha256(before));

    const patch = new Uint8Array(100).fill(0x42);
    await image.write(2 * BLOCK + 700, patch);
    const model = before.slice();
    model.set(patch, 2 * BLOCK + 700);
    expect(await sha256Source(image)).toBe(sha256(model));
    await image.close();
    expect(sha256(libvhdiRaw(child))).toBe(sha256(model));
    const qemu = qemuRaw(child);
    expect(sha256(qemu.subarray(2 * BLOCK, 3 * BLOCK))).toBe(sha256(model.subarray(2 * BLOCK, 3 * BLOCK)));
    expect(checkVhdStructure(child)).toEqual([]);
  });
});
