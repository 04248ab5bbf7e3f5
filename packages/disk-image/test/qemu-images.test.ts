/**
 * Images made by qemu-img: our virtual content must equal `qemu-img convert
 * -O raw` byte for byte, and pass the ByteSource contract suite.
 */
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { itWith, missingLoopDevice } from '@coldfix/test-support';
import { FileSource, type FileOpener } from '@coldfix/io';
import { detectImageFormat, openDiskImage } from '@coldfix/disk-image';
import { runSourceContract } from '../../io/test/source-contract.js';
import { cacheDir, ensureFile, makeRawContent, qemuRaw, run, scratchDir, sha256, sha256Source } from './helpers.js';

// 12 MiB + 3 sectors: the last 2 MiB block is partial.
const SIZE = (12 << 20) + 1536;
const dir = cacheDir();
const rawPath = join(dir, 'q-content.raw');
const images = {
  dynamic: join(dir, 'q-dynamic.vhd'),
  fixed: join(dir, 'q-fixed.vhd'),
  chsDynamic: join(dir, 'q-chs-dynamic.vhd'),
  empty: join(dir, 'q-empty.vhd'),
};
let raw: Uint8Array;

function build(): void {
  ensureFile(rawPath, () => makeRawContent(SIZE, 7));
  raw = readFileSync(rawPath);
  const make = (out: string, args: string[]) => {
    try {
      readFileSync(out, { flag: 'r' }).length;
    } catch {
      run('qemu-img', args);
    }
  };
  make(images.dynamic, ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', rawPath, images.dynamic]);
  make(images.fixed, ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed,force_size=on', rawPath, images.fixed]);
  // Without force_size qemu rounds the size up to CHS geometry (creator "qemu").
  make(images.chsDynamic, ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic', rawPath, images.chsDynamic]);
  make(images.empty, ['create', '-f', 'vpc', '-o', 'subformat=dynamic', images.empty, '8M']);
}
build();

describe('qemu-made VHDs equal qemu-img convert -O raw', () => {
  beforeAll(build);
  for (const [name, format, variant] of [
    ['dynamic', undefined, 'dynamic'],
    ['fixed', 'vpc', 'fixed'],
    ['chsDynamic', undefined, 'dynamic'],
    ['empty', undefined, 'dynamic'],
  ] as const) {
    it(`${name}: detected by content and byte-identical to qemu`, async () => {
      const path = images[name];
      const file = await FileSource.open(path);
      expect(await detectImageFormat(file)).toEqual({ format: 'vhd', variant });
      await file.close();
      const image = await openDiskImage(path);
      try {
        expect(image.format).toBe('vhd');
        expect(image.variant).toBe(variant);
        const expected = qemuRaw(path, format);
        expect(image.size).toBe(expected.length);
        expect(await sha256Source(image)).toBe(sha256(expected));
        expect(image.chain).toHaveLength(1);
        expect(image.describe().kind).toBe('vhd');
      } finally {
        await image.close();
      }
    });
  }

  it('force_size images hold the raw content exactly', async () => {
    for (const path of [images.dynamic, images.fixed]) {
      const image = await openDiskImage(path);
      expect(image.size).toBe(SIZE);
      expect(await sha256Source(image)).toBe(sha256(raw));
      await image.close();
    }
  });

  it('a raw file is raw, whatever its name', async () => {
    const disguised = join(dir, 'q-raw-named.vhd');
    copyFileSync(rawPath, disguised);
    const image = await openDiskImage(disguised);
    expect([image.format, image.variant]).toEqual(['raw', 'raw']);
    expect(image.chain[0].virtualSize).toBe(SIZE);
    await image.close();
    rmSync(disguised);
  });

  itWith(missingLoopDevice())('a block device is raw, even when it holds VHD bytes', async () => {
    const device = run('losetup', ['--find', '--show', '--read-only', images.fixed]).trim();
    try {
      const image = await openDiskImage(device);
      expect([image.format, image.variant]).toEqual(['raw', 'block-device']);
      expect(image.size).toBe(SIZE + 512);
      expect(sha256(await image.read(0, 1 << 20))).toBe(sha256(raw.subarray(0, 1 << 20)));
      expect(image.describe().kind).toBe('block-device');
      await image.close();
    } finally {
      run('losetup', ['-d', device]);
    }
  });

  it('a 4 MiB sequential read through a dynamic VHD costs a few file reads', async () => {
    const opened: FileSource[] = [];
    const openFile = (async (p: string) => {
      const f = await FileSource.open(p);
      opened.push(f);
      return f;
    }) as unknown as FileOpener;
    const image = await openDiskImage(images.dynamic, { openFile });
    const before = opened[0].stats.reads;
    await image.read(4 << 20, 4 << 20);
    const first = opened[0].stats.reads - before;
    await image.read(4 << 20, 4 << 20);
    const second = opened[0].stats.reads - before - first;
    // Two 2 MiB blocks: a bitmap and a data read each the first time, data only once the bitmaps are cached.
    expect(first).toBeLessThanOrEqual(4);
    expect(second).toBeLessThanOrEqual(2);
    // Large unaligned reads across allocated and unallocated blocks return the right bytes.
    for (const [at, len] of [[(4 << 20) + 123, 5 << 20], [(1 << 20) + 7, 8 << 20], [SIZE - (5 << 20) - 3, 5 << 20]]) {
      expect(sha256(await image.read(at, len))).toBe(sha256(raw.subarray(at, at + len)));
    }
    await image.close();
  });
});

const expectedRaw = () => readFileSync(rawPath);
runSourceContract('disk-image raw', async () => ({ source: await openDiskImage(rawPath), expected: expectedRaw() }), { readOnly: true, readRuns: 30 });
runSourceContract('disk-image VHD fixed', async () => ({ source: await openDiskImage(images.fixed), expected: expectedRaw() }), { readOnly: true, readRuns: 30 });
runSourceContract('disk-image VHD dynamic', async () => ({ source: await openDiskImage(images.dynamic), expected: expectedRaw() }), { readOnly: true });
runSourceContract(
  'disk-image VHD dynamic (writable copy)',
  async () => {
    const scratch = scratchDir('contract');
    const copy = join(scratch, 'w.vhd');
    copyFileSync(images.dynamic, copy);
    return { source: await openDiskImage(copy, { writable: true }), expected: expectedRaw(), cleanup: async () => rmSync(scratch, { recursive: true, force: true }) };
  },
  { readRuns: 15, writeRuns: 6 },
);
runSourceContract(
  'disk-image VHD fixed (writable copy)',
  async () => {
    const scratch = scratchDir('contract');
    const copy = join(scratch, 'w.vhd');
    copyFileSync(images.fixed, copy);
    return { source: await openDiskImage(copy, { writable: true }), expected: expectedRaw(), cleanup: async () => rmSync(scratch, { recursive: true, force: true }) };
  },
  { readRuns: 10, writeRuns: 5 },
);
