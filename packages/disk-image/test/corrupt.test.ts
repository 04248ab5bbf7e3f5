/**
 * Corrupted VHDs give typed errors (never a crash, hang or huge allocation):
 * hand-made damage to each structure, then fast-check mutations of a small
 * dynamic VHD (with checksums recomputed half the time, so the damage reaches
 * past the checksum checks).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isColdfixError, MemorySource, type FileOpener } from '@coldfix/io';
import { openDiskImage, type DiskImage } from '@coldfix/disk-image';
import { cacheDir, ensureFile, makeRawContent, run } from './helpers.js';
import { settleWithin } from '@coldfix/test-support';

const rawPath = ensureFile(join(cacheDir(), 'c-content.raw'), () => makeRawContent(6 << 20, 5));
const vhdPath = join(cacheDir(), 'c-small-dynamic.vhd');
run('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', rawPath, vhdPath]);
const pristine = new Uint8Array(readFileSync(vhdPath));
const fixedPath = join(cacheDir(), 'c-small-fixed.vhd');
run('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed,force_size=on', rawPath, fixedPath]);
const pristineFixed = new Uint8Array(readFileSync(fixedPath));

const HEADER = 512;
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function checksum(b: Uint8Array, at: number, size: number, field: number): void {
  let sum = 0;
  for (let i = 0; i < size; i++) if (i < field || i >= field + 4) sum += b[at + i];
  view(b).setUint32(at + field, ~sum >>> 0);
}
function fixChecksums(b: Uint8Array): void {
  checksum(b, 0, 512, 64);
  checksum(b, b.length - 512, 512, 64);
  checksum(b, HEADER, 1024, 36);
}
/** Opens bytes from memory (no temp files) through the public API. */
function openBytes(bytes: Uint8Array, path = '/mem/image.vhd'): Promise<DiskImage> {
  const openFile = (async () => new MemorySource(bytes, { identity: path })) as unknown as FileOpener;
  return openDiskImage(path, { openFile });
}
async function readAll(image: DiskImage): Promise<void> {
  for (let o = 0; o < image.size; o += 1 << 20) await image.read(o, Math.min(1 << 20, image.size - o));
}
async function outcome(bytes: Uint8Array): Promise<{ kind?: string; code?: string }> {
  try {
    const image = await openBytes(bytes);
    try {
      await readAll(image);
    } finally {
      await image.close();
    }
    return {};
  } catch (error) {
    if (!isColdfixError(error)) throw error;
    return { kind: error.kind, code: error.code };
  }
}
const mutate = (edit: (b: Uint8Array) => void, base = pristine, fix = true) => {
  const b = base.slice();
  edit(b);
  if (fix && base === pristine) fixChecksums(b);
  return b;
};
const tableOffset = Number(view(pristine).getBigUint64(HEADER + 16));

describe('damaged VHD structures give typed errors', () => {
  it('the pristine image reads', async () => {
    expect(await outcome(pristine.slice())).toEqual({});
  });
  it('bad footer checksum in both copies', async () => {
    const b = pristine.slice();
    b[b.length - 512 + 100] ^= 1;
    b[100] ^= 1;
    expect(await outcome(b)).toEqual({ kind: 'corrupt', code: 'VHD_FOOTER_CHECKSUM' });
  });
  it('bad dynamic header checksum', async () => {
    const b = pristine.slice();
    b[HEADER + 200] ^= 1;
    const error = await openBytes(b).catch((e) => e);
    expect(error).toMatchObject({ kind: 'corrupt', code: 'VHD_HEADER_CHECKSUM', details: { structure: 'dynamic header', field: 'checksum' } });
    expect(error.message).toMatch(/computed 0x[0-9a-f]+.*at offset 0x224/);
  });
  it('truncated file: the BAT points past the end', async () => {
    const b = pristine.slice(0, pristine.length >> 1);
    expect(await outcome(b)).toMatchObject({ kind: 'corrupt' });
  });
  it('BAT entry past the end of the file', async () => {
    const b = mutate((x) => view(x).setUint32(tableOffset, 0x00f00000));
    expect(await outcome(b)).toEqual({ kind: 'corrupt', code: 'VHD_BAT_ENTRY_OUTSIDE_FILE' });
  });
  it('BAT entry overlapping the dynamic header', async () => {
    const b = mutate((x) => view(x).setUint32(tableOffset, 1));
    expect(await outcome(b)).toEqual({ kind: 'corrupt', code: 'VHD_BAT_ENTRY_OVERLAPS_METADATA' });
  });
  it('absurd block size', async () => {
    expect(await outcome(mutate((x) => view(x).setUint32(HEADER + 32, 0x80000000)))).toEqual({ kind: 'limit-exceeded', code: 'VHD_BLOCK_SIZE_LIMIT' });
    expect(await outcome(mutate((x) => view(x).setUint32(HEADER + 32, 3 << 20)))).toEqual({ kind: 'corrupt', code: 'VHD_BLOCK_SIZE' });
  });
  it('absurd BAT size', async () => {
    expect(await outcome(mutate((x) => view(x).setUint32(HEADER + 28, 0xfffffff0)))).toEqual({ kind: 'limit-exceeded', code: 'VHD_BAT_SIZE_LIMIT' });
    expect(await outcome(mutate((x) => view(x).setUint32(HEADER + 28, 1)))).toEqual({ kind: 'corrupt', code: 'VHD_BAT_TOO_SMALL' });
  });
  it('absurd disk size', async () => {
    const huge = mutate((x) => {
      view(x).setBigUint64(48, 1n << 50n);
      view(x).setBigUint64(x.length - 512 + 48, 1n << 50n);
    });
    expect(await outcome(huge)).toEqual({ kind: 'limit-exceeded', code: 'VHD_DISK_SIZE_LIMIT' });
    const unsafe = mutate((x) => {
      view(x).setBigUint64(48, 1n << 62n);
      view(x).setBigUint64(x.length - 512 + 48, 1n << 62n);
    });
    expect(await outcome(unsafe)).toMatchObject({ kind: 'limit-exceeded' });
  });
  it('fixed VHD footer describing more than the file holds (a volume carved with its footer): read as raw, with an anomaly', async () => {
    const b = pristineFixed.slice();
    view(b).setBigUint64(b.length - 512 + 48, BigInt(b.length));
    checksum(b, b.length - 512, 512, 64);
    expect(await outcome(b)).toEqual({});
    const image = await openBytes(b);
    try {
      expect(image.format).toBe('raw');
      expect(image.size).toBe(b.length);
      expect(image.anomalies.join(' ')).toMatch(/trailing VHD footer/);
    } finally {
      await image.close();
    }
  });
  it('two BAT entries sharing a block: reads work, writes are refused', async () => {
    const b = pristine.slice();
    const first = view(b).getUint32(tableOffset);
    view(b).setUint32(tableOffset + 4 * 2, first); // block 2 aliases block 0
    const path = join(cacheDir(), 'c-aliased.vhd');
    writeFileSync(path, b);
    const image = await openDiskImage(path, { writable: true });
    expect(await image.read(4 << 20, 512)).toEqual(await image.read(0, 512));
    await expect(image.write(0, new Uint8Array(512))).rejects.toMatchObject({ kind: 'corrupt', code: 'VHD_BLOCKS_OVERLAP' });
    await image.close();
    expect(readFileSync(path).equals(Buffer.from(b))).toBe(true);
  });
  it('differencing type without a reachable parent', async () => {
    const b = mutate((x) => {
      view(x).setUint32(60, 4);
      view(x).setUint32(x.length - 512 + 60, 4);
    });
    expect(await outcome(b)).toMatchObject({ kind: 'not-found', code: 'VHD_PARENT_NOT_FOUND' });
  });
});

describe('fast-check: mutated dynamic VHDs decode or throw typed errors', () => {
  it('never crashes, hangs or allocates without bound', async () => {
    // Mutations land where the metadata is: footer copy, header, BAT, first bitmap, trailing footer.
    const hot = Math.min(pristine.length - 512, tableOffset + 4096);
    const position = fc.oneof(fc.integer({ min: 0, max: hot - 1 }), fc.integer({ min: pristine.length - 512, max: pristine.length - 1 }));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: position, value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        async (edits, fix, cut) => {
          let b = pristine.slice();
          for (const { at, value } of edits) b[at] = value;
          if (fix) fixChecksums(b);
          if (cut === 3) b = b.slice(0, b.length - 4096);
          // Throws (failing the property, seed printed) on anything but a ColdfixError; a hang fails too.
          const result = await settleWithin(outcome(b), 120_000, 'opening and reading a mutated VHD');
          expect(result).toBeDefined();
        },
      ),
      { numRuns: 120 },
    );
  }, 600_000);
});
