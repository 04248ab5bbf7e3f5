/**
 * Mutated VMDK headers, grain directories, grain tables, markers and
 * descriptors (fast-check): opening and reading give the bytes or a typed
 * error, never a crash or a hang; sizes from disk above our caps are
 * LimitExceededError before anything is allocated.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isColdfixError, MemorySource, type ByteSource, type FileOpener } from '@coldfix/io';
import { openDiskImage } from '@coldfix/disk-image';
import { cacheDir, makeRawContent, realFixture, REAL, run } from './helpers.js';
import { lacks, makeCowd } from './vmdk-helpers.js';
import { itWith, missingFixtures } from '@coldfix/test-support';

const noQemu = lacks('qemu-img');
let work: string;
const images: Record<string, Uint8Array> = {};

beforeAll(() => {
  work = mkdtempSync(join(cacheDir(), 'vmdk-mut-'));
  const raw = join(work, 'content.raw');
  writeFileSync(raw, makeRawContent(4 << 20, 11));
  if (!noQemu) {
    for (const sub of ['monolithicSparse', 'streamOptimized'] as const) {
      const out = join(work, `${sub}.vmdk`);
      run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', `subformat=${sub}`, raw, out]);
      images[sub] = new Uint8Array(readFileSync(out));
    }
  }
  images.cowd = makeCowd(8192, 2, new Map([[0, new Uint8Array(1024).fill(1)], [4096, new Uint8Array(1024).fill(2)], [4097, new Uint8Array(1024).fill(3)]]));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An opener serving `bytes` for every path (single-file images). */
function memoryOpener(bytes: Uint8Array): FileOpener {
  return (async () => new MemorySource(bytes, { identity: 'mutated.vmdk' }) as ByteSource) as unknown as FileOpener;
}

/** Opens and reads the start, the end and a few places; a typed error is fine, anything else fails. */
async function openAndRead(bytes: Uint8Array): Promise<void> {
  try {
    const image = await openDiskImage('/nonexistent/mutated.vmdk', { openFile: memoryOpener(bytes) });
    try {
      const n = Math.min(image.size, 1 << 20);
      if (n > 0) {
        await image.read(0, n);
        await image.read(image.size - n, n);
        await image.read(Math.floor(image.size / 2 / 512) * 512, Math.min(n, image.size - Math.floor(image.size / 2 / 512) * 512));
      }
    } finally {
      await image.close();
    }
  } catch (error) {
    if (!isColdfixError(error)) throw error;
  }
}

function mutate(base: Uint8Array, muts: Array<[number, number]>): Uint8Array {
  const copy = new Uint8Array(base);
  for (const [at, value] of muts) copy[at % copy.length] = value;
  return copy;
}

const metadataOffsets = (bytes: Uint8Array) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const gd = Number(view.getBigUint64(56, true)) * 512;
  const spots = [fc.integer({ min: 0, max: 511 }), fc.integer({ min: 0, max: bytes.length - 1 })];
  if (gd > 0 && gd < bytes.length) spots.push(fc.integer({ min: gd, max: Math.min(bytes.length - 1, gd + 8192) }));
  const desc = Number(view.getBigUint64(28, true)) * 512;
  if (desc > 0 && desc < bytes.length) spots.push(fc.integer({ min: desc, max: Math.min(bytes.length - 1, desc + 1023) }));
  return fc.oneof(...spots);
};

describe('mutated VMDKs: typed errors, no hang', { timeout: 600_000 }, () => {
  for (const name of ['monolithicSparse', 'streamOptimized', 'cowd']) {
    it.skipIf(name !== 'cowd' && noQemu)(`${name}: random byte mutations of header, descriptor, GD, GT, markers`, async () => {
      const base = images[name];
      // The unmutated image opens and reads.
      const image = await openDiskImage('/nonexistent/base.vmdk', { openFile: memoryOpener(base) });
      expect((await image.read(0, 1024)).length).toBe(1024);
      await image.close();
      const offsets = name === 'cowd' ? fc.oneof(fc.integer({ min: 0, max: 2048 + 4 * 32 * 512 }), fc.integer({ min: 0, max: base.length - 1 })) : metadataOffsets(base);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(offsets, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 16 }), async (muts) => {
          await openAndRead(mutate(base, muts));
        }),
        { numRuns: 150 },
      );
    }, 300_000);
  }

  itWith(missingFixtures('fox-it-dissect.hypervisor/sesparse.vmdk.gz'))('seSparse (dissect ESXi fixture): mutations of the constant and volatile headers, GD and GTs', async () => {
    const base = new Uint8Array(readFileSync(realFixture('fox-it-dissect.hypervisor/sesparse.vmdk.gz')));
    const view = new DataView(base.buffer, base.byteOffset);
    const at = (field: number) => Number(view.getBigUint64(field, true)) * 512;
    const offsets = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: at(80), max: at(80) + 31 }), // volatile header
      fc.integer({ min: at(128), max: at(128) + 255 }), // grain directory
      fc.integer({ min: at(144), max: at(144) + 8 * 4096 - 1 }), // first grain table
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(offsets, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), async (muts) => {
        runs++;
        await openAndRead(mutate(base, muts));
      }),
      { numRuns: 100 },
    );
    expect(runs).toBe(100);
  }, 300_000);

  it('oversized fields from disk are LimitExceeded / Corrupt before any allocation', async () => {
    const header = new Uint8Array(4096);
    const view = new DataView(header.buffer);
    const kdmv = () => {
      header.fill(0);
      view.setUint32(0, 0x564d444b, true);
      view.setUint32(4, 1, true);
      view.setBigUint64(12, 1n << 40n, true); // capacity: 512 TiB
      view.setBigUint64(20, 8n, true); // 4 KiB grains
      view.setUint32(44, 512, true);
      view.setBigUint64(56, 1n, true);
    };
    kdmv();
    await expect(openDiskImage('/x.vmdk', { openFile: memoryOpener(header) })).rejects.toMatchObject({ kind: 'limit-exceeded', code: 'VMDK_GD_TOO_LARGE' });
    kdmv();
    view.setBigUint64(20, 1n << 30n, true);
    await expect(openDiskImage('/x.vmdk', { openFile: memoryOpener(header) })).rejects.toMatchObject({ code: 'VMDK_BAD_GRAIN_SIZE' });
    kdmv();
    view.setBigUint64(36, 1n << 20n, true); // descriptor of 512 MiB
    view.setBigUint64(28, 1n, true);
    await expect(openDiskImage('/x.vmdk', { openFile: memoryOpener(header) })).rejects.toMatchObject({ kind: 'limit-exceeded', code: 'VMDK_DESCRIPTOR_TOO_LARGE' });
    kdmv();
    view.setBigUint64(12, 1n << 60n, true); // capacity past 2^53 bytes
    await expect(openDiskImage('/x.vmdk', { openFile: memoryOpener(header) })).rejects.toMatchObject({ kind: 'limit-exceeded' });
    const text = new TextEncoder().encode(`# Disk DescriptorFile\ncreateType="vmfs"\nRW 99999999999999999 VMFS "a.raw"\n`);
    await expect(openDiskImage('/x.vmdk', { openFile: memoryOpener(text) })).rejects.toMatchObject({ kind: 'limit-exceeded', code: 'VMDK_EXTENT_TOO_LARGE' });
  });
});
