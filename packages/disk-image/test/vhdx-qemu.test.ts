/**
 * VHDX files made by qemu-img (fixed and dynamic, block sizes 1–256 MiB, log
 * sizes, 512 and 4096-byte logical sectors, and the Windows-like disk of the
 * test-image catalog): our virtual disk must equal `qemu-img convert -O raw`
 * byte for byte. Every image is built in its own scratch folder.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSource } from '@coldfix/io';
import { detectImageFormat, openDiskImage, VhdxImage } from '@coldfix/disk-image';
import { ensureImages } from '@coldfix/test-images';
import { runSourceContract } from '../../io/test/source-contract.js';
import { libvhdiRaw, makeRawContent, run, scratchDir, sha256, sha256Source } from './helpers.js';
import { missing, patchLogicalSectorSize, qemuRawDigest, vhdiinfoSectorSize } from './vhdx-helpers.js';

const MIB = 1 << 20;
const noQemu = missing('qemu-img');
const scratch = scratchDir('vhdx-qemu');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// 40 MiB + 3 sectors: the last block is partial for every block size; zero runs leave blocks unallocated.
const SIZE = 40 * MIB + 1536;
function content(dir: string): { path: string; bytes: Uint8Array } {
  const bytes = makeRawContent(SIZE, 11);
  bytes.fill(0, 8 * MIB, 24 * MIB);
  const path = join(dir, 'content.raw');
  writeFileSync(path, bytes);
  return { path, bytes };
}

async function expectSameAsQemu(path: string, variant: string, extra?: (image: VhdxImage) => Promise<void>): Promise<void> {
  const file = await FileSource.open(path);
  expect(await detectImageFormat(file)).toEqual({ format: 'vhdx', variant });
  await file.close();
  const expected = qemuRawDigest(path);
  const image = (await openDiskImage(path)) as VhdxImage;
  try {
    expect([image.format, image.variant]).toEqual(['vhdx', variant]);
    expect(image.size).toBe(expected.size);
    expect(await sha256Source(image)).toBe(expected.sha256);
    await extra?.(image);
  } finally {
    await image.close();
  }
}

describe.skipIf((noQemu) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('qemu-made VHDX equal qemu-img convert -O raw (skipped without qemu-img)', () => {
  for (const subformat of ['dynamic', 'fixed'] as const) {
    for (const blockMiB of [1, 2, 8, 32, 256]) {
      it(`${subformat}, block_size=${blockMiB}M`, { timeout: 120_000 }, async () => {
        const dir = scratchDir('vhdx-q');
        try {
          const { path: raw, bytes } = content(dir);
          const path = join(dir, 'disk.vhdx');
          run('qemu-img', ['convert', '-f', 'raw', '-O', 'vhdx', '-o', `subformat=${subformat},block_size=${blockMiB}M`, raw, path]);
          await expectSameAsQemu(path, subformat, async (image) => {
            expect(image.meta.blockSize).toBe(blockMiB * MIB);
            expect(image.meta.chunkRatio).toBe((2 ** 23 * 512) / (blockMiB * MIB));
            // qemu keeps the exact size (a multiple of 512), so the content is ours exactly.
            expect(await sha256Source(image)).toBe(sha256(bytes));
            const states = await image.map.stateCounts();
            // qemu marks all-zero blocks ZERO even in a fixed file (block_state_zero); nothing is left unallocated there.
            expect(states['fully present']).toBeGreaterThan(0);
            if (subformat === 'fixed') expect(states['not present']).toBeUndefined();
            if (blockMiB <= 8) expect(Object.keys(states).length).toBeGreaterThan(1);
          });
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }

  for (const logMiB of [1, 8]) {
    it(`dynamic, log_size=${logMiB}M (empty-disk create, then qemu-io writes)`, { timeout: 120_000 }, async () => {
      const dir = scratchDir('vhdx-log');
      try {
        const path = join(dir, 'disk.vhdx');
        run('qemu-img', ['create', '-f', 'vhdx', '-o', `log_size=${logMiB}M,block_size=1M`, path, '24M']);
        run('qemu-io', ['-c', 'write -P 0x5a 0 64k', '-c', 'write -P 0x11 3M 1536', '-c', 'write -z 8M 2M', '-c', 'write -P 0x77 23M 1M', path]);
        await expectSameAsQemu(path, 'dynamic', async (image) => {
          expect(image.section.header.logLength).toBe(logMiB * MIB);
          expect(image.chain[0].logState).toBe('clean');
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  // qemu refuses a 4096-byte logical sector VHDX ("Operation not supported"): libvhdi is the oracle here.
  it.skipIf((missing('vhdimount', 'vhdiinfo')) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('4096-byte logical sectors (the item rewritten on a qemu-made file) read as libvhdi reads them', { timeout: 120_000 }, async () => {
    const dir = scratchDir('vhdx-4k');
    try {
      const { path: raw, bytes } = content(dir);
      const path = join(dir, 'disk4k.vhdx');
      // 40 MiB + 1536 is not a multiple of 4096: convert a 4 KiB-aligned prefix.
      run('truncate', ['-s', String(40 * MIB), raw]);
      run('qemu-img', ['convert', '-f', 'raw', '-O', 'vhdx', '-o', 'subformat=dynamic,block_size=1M', raw, path]);
      patchLogicalSectorSize(path, 4096);
      expect(vhdiinfoSectorSize(path)).toBe(4096);
      const expected = libvhdiRaw(path);
      expect(sha256(expected)).toBe(sha256(bytes.subarray(0, 40 * MIB)));
      const image = (await openDiskImage(path)) as VhdxImage;
      try {
        expect(image.meta.logicalSectorSize).toBe(4096);
        expect(image.blockSize).toBe(4096);
        expect(image.meta.chunkRatio).toBe((2 ** 23 * 4096) / MIB);
        expect(await sha256Source(image)).toBe(sha256(expected));
      } finally {
        await image.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf((noQemu) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('ByteSource contract (skipped without qemu-img)', () => {
  if (noQemu) return;
  const dir = scratchDir('vhdx-contract');
  const { path: raw, bytes } = content(dir);
  const path = join(dir, 'disk.vhdx');
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'vhdx', '-o', 'subformat=dynamic,block_size=1M', raw, path]);
  runSourceContract('disk-image VHDX dynamic', async () => ({ source: await openDiskImage(path), expected: bytes }), { readOnly: true });
});

describe.skipIf((noQemu) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('the Windows-like catalog disk as VHDX (skipped without qemu-img)', () => {
  for (const [subformat, blockSize] of [
    ['dynamic', '1M'],
    ['dynamic', '32M'],
  ] as const) {
    it(`windows-sample → qemu-img convert -O vhdx ${subformat} block_size=${blockSize}: identical to qemu's raw`, { timeout: 600_000 }, async () => {
      const catalog = await ensureImages(['windows-sample']);
      const entry = catalog.entries['windows-sample']!;
      const dir = scratchDir('vhdx-win');
      try {
        const path = join(dir, 'windows.vhdx');
        run('qemu-img', ['convert', '-f', 'raw', '-O', 'vhdx', '-o', `subformat=${subformat},block_size=${blockSize}`, entry.image, path]);
        await expectSameAsQemu(path, subformat, async (image) => {
          expect(image.size).toBe(entry.virtualSize);
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});


