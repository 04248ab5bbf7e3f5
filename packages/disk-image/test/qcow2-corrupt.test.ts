/**
 * Damaged qcow2 images give typed errors, never a crash, a hang or a huge
 * allocation: hand-made damage to each header field we bound, a real
 * LUKS-encrypted image, then fast-check mutations of small qemu-made images
 * (header and extensions, L1 table, L2 tables, compressed data, snapshot table).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isColdfixError, MemorySource, type FileOpener } from '@coldfix/io';
import { openDiskImage, type DiskImage } from '@coldfix/disk-image';
import { ensureFile, makeRawContent, run, scratchDir } from './helpers.js';
import { hasTool, qemuIo, skipWithout } from './qcow2-helpers.js';

const skip = skipWithout(hasTool('qemu-img') && hasTool('qemu-io'));
let dir = '';
const images: Record<string, Uint8Array> = {};
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Opens bytes from memory through the public API (a backing file, if any, would be looked up on disk). */
function openBytes(bytes: Uint8Array, path = '/mem/image.qcow2'): Promise<DiskImage> {
  const openFile = (async () => new MemorySource(bytes, { identity: path })) as unknown as FileOpener;
  return openDiskImage(path, { openFile });
}

async function readAll(image: DiskImage): Promise<void> {
  for (let o = 0; o < image.size; o += 1 << 20) await image.read(o, Math.min(1 << 20, image.size - o));
}

/** Opens and reads everything; returns the error (must be typed) or undefined. */
async function outcome(bytes: Uint8Array): Promise<unknown> {
  try {
    const image = await openBytes(bytes);
    try {
      await readAll(image);
    } finally {
      await image.close();
    }
    return undefined;
  } catch (error) {
    return error;
  }
}

function mutated(name: string, edit: (b: Uint8Array, v: DataView) => void): Uint8Array {
  const copy = new Uint8Array(images[name]);
  edit(copy, view(copy));
  return copy;
}

describe.skipIf((skip) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')(`damaged qcow2${skip ? ' (skipped: qemu-img/qemu-io missing)' : ''}`, () => {
  beforeAll(() => {
    dir = scratchDir('qcow2-corrupt');
    const raw = ensureFile(join(dir, 'content.raw'), () => makeRawContent(4 << 20, 9));
    const make = (name: string, opts: string[]) => {
      run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', ...opts, raw, join(dir, name)]);
      return name;
    };
    make('plain.qcow2', ['-o', 'cluster_size=4096']);
    make('zlib.qcow2', ['-c', '-o', 'cluster_size=4096']);
    make('zstd.qcow2', ['-c', '-o', 'cluster_size=4096,compression_type=zstd']);
    make('ext-l2.qcow2', ['-o', 'cluster_size=16384,extended_l2=on']);
    make('snap.qcow2', ['-o', 'cluster_size=4096']);
    run('qemu-img', ['snapshot', '-c', 'one', join(dir, 'snap.qcow2')]);
    qemuIo(join(dir, 'snap.qcow2'), ['write -P 0x42 0 64k']);
    run('qemu-img', ['create', '--object', 'secret,id=sec0,data=not-a-real-key', '-f', 'qcow2', '-o', 'encrypt.format=luks,encrypt.key-secret=sec0', join(dir, 'luks.qcow2'), '4M']);
    for (const name of ['plain.qcow2', 'zlib.qcow2', 'zstd.qcow2', 'ext-l2.qcow2', 'snap.qcow2', 'luks.qcow2']) images[name] = new Uint8Array(readFileSync(join(dir, name)));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the pristine images read without error', async () => {
    for (const name of ['plain.qcow2', 'zlib.qcow2', 'zstd.qcow2', 'ext-l2.qcow2', 'snap.qcow2']) expect(await outcome(images[name]), name).toBeUndefined();
  });

  it('the snapshot option on a format without snapshots is an UnsupportedError', async () => {
    const openFile = (async () => new MemorySource(new Uint8Array(1 << 20), { identity: '/mem/disk.raw' })) as unknown as FileOpener;
    await expect(openDiskImage('/mem/disk.raw', { openFile, snapshot: '1' })).rejects.toMatchObject({ kind: 'unsupported', code: 'SNAPSHOTS_UNSUPPORTED' });
  });

  it('an encrypted (LUKS) qcow2 made by qemu-img: UnsupportedError QCOW2_ENCRYPTED', async () => {
    await expect(openBytes(images['luks.qcow2'])).rejects.toMatchObject({ kind: 'unsupported', code: 'QCOW2_ENCRYPTED' });
  });

  const cases: Array<[string, (b: Uint8Array, v: DataView) => void, string, string]> = [
    ['bad magic', (_b, v) => v.setUint32(0, 0x514649fa), 'raw', ''],
    ['version 4', (_b, v) => v.setUint32(4, 4), 'unsupported', 'QCOW2_UNSUPPORTED_VERSION'],
    ['version 1 (the older qcow format, same magic)', (_b, v) => v.setUint32(4, 1), 'unsupported', 'QCOW2_UNSUPPORTED_VERSION'],
    ['cluster_bits 30', (_b, v) => v.setUint32(20, 30), 'corrupt', 'QCOW2_BAD_CLUSTER_BITS'],
    ['cluster_bits 8', (_b, v) => v.setUint32(20, 8), 'corrupt', 'QCOW2_BAD_CLUSTER_BITS'],
    ['crypt_method 1 (AES)', (_b, v) => v.setUint32(32, 1), 'unsupported', 'QCOW2_ENCRYPTED'],
    ['l1_size above the cap', (_b, v) => v.setUint32(36, 0xffffffff), 'limit-exceeded', 'QCOW2_L1_TOO_LARGE'],
    ['l1_size too small for the size', (_b, v) => v.setUint32(36, 0), 'corrupt', 'QCOW2_L1_TOO_SMALL'],
    ['size 2^63', (_b, v) => v.setBigUint64(24, 1n << 63n), 'limit-exceeded', 'VALUE_NOT_SAFE_INTEGER'],
    ['l1_table_offset past the end', (_b, v) => v.setBigUint64(40, 1n << 40n), 'corrupt', 'QCOW2_BAD_L1_TABLE'],
    ['unknown incompatible bit 9', (_b, v) => v.setBigUint64(72, 1n << 9n), 'unsupported', 'QCOW2_UNKNOWN_INCOMPATIBLE_FEATURE'],
    ['compression bit without a type', (_b, v) => v.setBigUint64(72, 1n << 3n), 'corrupt', 'QCOW2_COMPRESSION_BIT'],
    ['header_length 4 GiB', (_b, v) => v.setUint32(100, 0xfffffff8), 'corrupt', 'QCOW2_BAD_HEADER_LENGTH'],
    ['external data file bit, no name', (_b, v) => v.setBigUint64(72, 1n << 2n), 'corrupt', 'QCOW2_DATA_FILE_NAME_MISSING'],
    ['backing name 4 KiB long', (_b, v) => (v.setBigUint64(8, 512n), v.setUint32(16, 4096)), 'limit-exceeded', 'QCOW2_BACKING_NAME_TOO_LONG'],
    ['nb_snapshots 2^31', (_b, v) => v.setUint32(60, 0x80000000), 'limit-exceeded', 'QCOW2_TOO_MANY_SNAPSHOTS'],
    ['extension length past the cluster', (_b, v) => (v.setUint32(v.getUint32(100), 0xe2792aca), v.setUint32(v.getUint32(100) + 4, 0x100000)), 'corrupt', 'QCOW2_BAD_EXTENSION'],
  ];
  for (const [title, edit, kind, code] of cases) {
    it(`header: ${title}`, async () => {
      const bytes = mutated('plain.qcow2', edit);
      if (kind === 'raw') {
        const image = await openBytes(bytes);
        expect(image.format).toBe('raw');
        await image.close();
        return;
      }
      await expect(openBytes(bytes)).rejects.toMatchObject({ kind, code });
    });
  }

  it('L1 and L2 entries: unaligned or out-of-file L2 table, unaligned data cluster', async () => {
    const l1 = Number(view(images['plain.qcow2']).getBigUint64(40));
    const l2 = Number(view(images['plain.qcow2']).getBigUint64(l1) & 0x00fffffffffffe00n);
    const l1Bad = mutated('plain.qcow2', (_b, v) => v.setBigUint64(l1, (1n << 63n) | (1n << 45n)));
    expect(await outcome(l1Bad)).toMatchObject({ kind: 'corrupt', code: 'QCOW2_BAD_L1_ENTRY' });
    const l1Unaligned = mutated('plain.qcow2', (_b, v) => v.setBigUint64(l1, BigInt(l2 + 512)));
    expect(await outcome(l1Unaligned)).toMatchObject({ kind: 'corrupt', code: 'QCOW2_BAD_L1_ENTRY' });
    const l2Unaligned = mutated('plain.qcow2', (_b, v) => v.setBigUint64(l2, (1n << 63n) | 0x1200n));
    expect(await outcome(l2Unaligned)).toMatchObject({ kind: 'corrupt', code: 'QCOW2_BAD_L2_ENTRY' });
  });

  it('fast-check: mutated header, L1, L2, compressed data and snapshot table decode or throw typed errors (bounded memory)', async () => {
    const names = ['plain.qcow2', 'zlib.qcow2', 'zstd.qcow2', 'ext-l2.qcow2', 'snap.qcow2'];
    const hot = (b: Uint8Array): Array<[number, number]> => {
      const v = view(b);
      const clusterSize = 2 ** v.getUint32(20);
      const l1 = Number(v.getBigUint64(40));
      const l2 = Number(v.getBigUint64(l1) & 0x00fffffffffffe00n);
      const snaps = Number(v.getBigUint64(64));
      const spans: Array<[number, number]> = [[0, 512], [l1, l1 + 64], [l2, l2 + Math.min(clusterSize, 4096)], [b.length - 4096, b.length]];
      if (snaps) spans.push([snaps, snaps + 128]);
      return spans;
    };
    let peak = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        fc.array(fc.record({ span: fc.nat(), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 10 }),
        async (name, edits) => {
          const bytes = new Uint8Array(images[name]);
          const spans = hot(bytes);
          for (const e of edits) {
            const [start, end] = spans[e.span % spans.length];
            const at = start + (e.at % Math.max(1, end - start));
            if (at < bytes.length) bytes[at] = e.value;
          }
          const error = await outcome(bytes);
          peak = Math.max(peak, process.memoryUsage().arrayBuffers);
          if (error !== undefined && !isColdfixError(error)) throw error;
        },
      ),
      { numRuns: 300 },
    );
    // Caps: L1 ≤ 32 MiB, L2 cache ≤ 16 MiB, 8 decompressed clusters: far under 512 MiB of buffers.
    expect(peak).toBeLessThan(512 << 20);
  }, 300_000);
});
