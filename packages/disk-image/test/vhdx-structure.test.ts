/**
 * VHDX structure checks on files from the independent test writer
 * (test-images avhdx-writer), mutated byte by byte here: header choice by
 * sequence number and CRC-32C, region table fallback, unknown required regions
 * and metadata items, BAT entry and sector bitmap codecs, reserved states.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32c, type ColdfixError } from '@coldfix/io';
import { openDiskImage, VhdxImage } from '@coldfix/disk-image';
import { writeVhdx } from '@coldfix/test-images';
import { decodeBatEntry, encodeBatEntry, payloadBatIndex, sectorBitmapBatIndex } from '../src/vhdx/codec/bat-entry.js';
import { sectorBitmapRuns } from '../src/vhdx/codec/sector-bitmap.js';
import { findActiveSequence } from '../src/vhdx/log-replay.js';
import { scratchDir, sha256, sha256Source } from './helpers.js';

const MIB = 1 << 20;
const scratch = scratchDir('vhdx-structure');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const data = Uint8Array.from({ length: 3 * MIB }, (_, i) => (i * 31 + 7) & 0xff);

function base(name: string): { path: string; bytes: Buffer; model: Uint8Array } {
  const path = join(scratch, name);
  writeVhdx(path, { virtualSize: 8 * MIB, writes: [[MIB, data]] });
  const model = new Uint8Array(8 * MIB);
  model.set(data, MIB);
  return { path, bytes: readFileSync(path), model };
}

/** Recomputes a CRC-32C field after an edit (for edits that must stay "valid"). */
function reseal(b: Buffer, start: number, length: number): void {
  b.writeUInt32LE(0, start + 4);
  b.writeUInt32LE(crc32c(b.subarray(start, start + length)), start + 4);
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as ColdfixError,
  ) as Promise<ColdfixError>;

describe('VHDX headers and region tables', () => {
  it('reads the writer’s file (model)', async () => {
    const { path, model } = base('plain.vhdx');
    const image = (await openDiskImage(path)) as VhdxImage;
    expect(image.section.headerIndex).toBe(1);
    expect(await sha256Source(image)).toBe(sha256(model));
    await image.close();
  });

  it('the current header (higher sequence) damaged: the other is used, with an anomaly; both damaged: VHDX_NO_VALID_HEADER', async () => {
    const { path, bytes, model } = base('hdr.vhdx');
    bytes[128 * 1024 + 200] ^= 1;
    writeFileSync(path, bytes);
    const image = (await openDiskImage(path)) as VhdxImage;
    expect(image.section.headerIndex).toBe(0);
    expect(image.anomalies.join('\n')).toMatch(/header 2 .* invalid \(CRC-32C mismatch\)/);
    expect(await sha256Source(image)).toBe(sha256(model));
    await image.close();
    bytes.write('xxxx', 64 * 1024, 'ascii');
    writeFileSync(path, bytes);
    expect(await errorOf(openDiskImage(path))).toMatchObject({ kind: 'corrupt', code: 'VHDX_NO_VALID_HEADER' });
  });

  it('a higher sequence number in header 1 (valid CRC) makes it current', async () => {
    const { path, bytes } = base('seq.vhdx');
    bytes.writeBigUInt64LE(9n, 64 * 1024 + 8);
    reseal(bytes, 64 * 1024, 4096);
    writeFileSync(path, bytes);
    const image = (await openDiskImage(path)) as VhdxImage;
    expect(image.section.headerIndex).toBe(0);
    expect(image.section.header.sequenceNumber).toBe(9n);
    await image.close();
  });

  it('region table 1 damaged: table 2 serves, with an anomaly', async () => {
    const { path, bytes, model } = base('regi.vhdx');
    bytes[192 * 1024 + 20] ^= 0xff;
    writeFileSync(path, bytes);
    const image = await openDiskImage(path);
    expect(image.anomalies.join('\n')).toMatch(/region table 1 .* invalid/);
    expect(await sha256Source(image)).toBe(sha256(model));
    await image.close();
  });

  it('an unknown region marked required: UnsupportedError; not required: ignored', async () => {
    const { path, bytes } = base('unknown-region.vhdx');
    for (const at of [192 * 1024, 256 * 1024]) {
      bytes.writeUInt32LE(3, at + 8);
      const e = at + 16 + 2 * 32;
      bytes.fill(0x42, e, e + 16);
      bytes.writeBigUInt64LE(BigInt(7 * MIB), e + 16);
      bytes.writeUInt32LE(MIB, e + 24);
      bytes.writeUInt32LE(1, e + 28);
      reseal(bytes, at, 64 * 1024);
    }
    writeFileSync(path, bytes);
    expect(await errorOf(openDiskImage(path))).toMatchObject({ kind: 'unsupported', code: 'VHDX_UNKNOWN_REQUIRED_REGION' });
    for (const at of [192 * 1024, 256 * 1024]) {
      bytes.writeUInt32LE(0, at + 16 + 2 * 32 + 28);
      reseal(bytes, at, 64 * 1024);
    }
    writeFileSync(path, bytes);
    await (await openDiskImage(path)).close();
  });

  it('an unknown metadata item marked required: UnsupportedError', async () => {
    const { path, bytes } = base('unknown-item.vhdx');
    const md = 2 * MIB;
    const count = bytes.readUInt16LE(md + 10);
    const e = md + 32 + count * 32;
    bytes.writeUInt16LE(count + 1, md + 10);
    bytes.fill(0x43, e, e + 16);
    bytes.writeUInt32LE(0, e + 16);
    bytes.writeUInt32LE(0, e + 20);
    bytes.writeUInt32LE(4, e + 24);
    writeFileSync(path, bytes);
    expect(await errorOf(openDiskImage(path))).toMatchObject({ kind: 'unsupported', code: 'VHDX_UNKNOWN_REQUIRED_METADATA' });
  });

  it('a reserved BAT state (4) and a block past the end of the file are CorruptErrors on read', async () => {
    const { path, bytes } = base('bat.vhdx');
    const bat = 3 * MIB;
    // 2 MiB blocks: block 1 = [2, 4) MiB, block 2 = [4, 6) MiB.
    bytes.writeUInt32LE((bytes.readUInt32LE(bat + 8) & ~7) | 4, bat + 8);
    bytes.writeUInt32LE(((4095 * 0x100000) | 6) >>> 0, bat + 16); // at 4095 MiB
    writeFileSync(path, bytes);
    const image = await openDiskImage(path);
    expect(await errorOf(image.read(2 * MIB, 512))).toMatchObject({ kind: 'corrupt', code: 'VHDX_BAT_STATE' });
    expect(await errorOf(image.read(4 * MIB, 512))).toMatchObject({ kind: 'corrupt', code: 'VHDX_BLOCK_OUTSIDE_FILE' });
    expect((await image.read(0, 512)).every((b) => b === 0)).toBe(true);
    await image.close();
  });

  it('not a VHDX / truncated below its header section: typed errors', async () => {
    const { path, bytes } = base('short.vhdx');
    writeFileSync(path, bytes.subarray(0, 300 * 1024));
    expect(await errorOf(openDiskImage(path))).toMatchObject({ kind: 'corrupt', code: 'VHDX_TRUNCATED' });
  });
});

describe('VHDX codecs', () => {
  it('BAT entries: state in bits 0-2, FileOffsetMB in bits 20-63 (round trip and a hand-made value)', () => {
    const b = new Uint8Array(8);
    encodeBatEntry({ state: 7, fileOffset: 5000 * MIB }, b, 0);
    expect(decodeBatEntry(b, 0)).toEqual({ state: 7, fileOffset: 5000 * MIB });
    // 0x0000_0001_0030_0006: FileOffsetMB = 0x1003 (4099 MiB), state 6.
    const hand = Uint8Array.from([0x06, 0x00, 0x30, 0x00, 0x01, 0x00, 0x00, 0x00]);
    expect(decodeBatEntry(hand, 0)).toEqual({ state: 6, fileOffset: 0x1003 * MIB });
  });

  it('BAT interleaving: chunk ratio 4 → P0 P1 P2 P3 SB0 P4 …', () => {
    expect([0, 1, 2, 3, 4, 5].map((b) => payloadBatIndex(b, 4))).toEqual([0, 1, 2, 3, 5, 6]);
    expect([0, 1].map((c) => sectorBitmapBatIndex(c, 4))).toEqual([4, 9]);
  });

  it('sector bitmap runs: least significant bit first', () => {
    const bitmap = Uint8Array.from([0b0000_0110, 0xff, 0x00, 0x01]);
    expect(sectorBitmapRuns(bitmap, 0, 32)).toEqual([
      { sector: 0, count: 1, set: false },
      { sector: 1, count: 2, set: true },
      { sector: 3, count: 5, set: false },
      { sector: 8, count: 8, set: true },
      { sector: 16, count: 8, set: false },
      { sector: 24, count: 1, set: true },
      { sector: 25, count: 7, set: false },
    ]);
    expect(sectorBitmapRuns(bitmap, 2, 3)).toEqual([
      { sector: 2, count: 1, set: true },
      { sector: 3, count: 2, set: false },
    ]);
  });

  it('an all-zero log has no active sequence', () => {
    expect(findActiveSequence(new Uint8Array(MIB), '8b7ca206-4790-4b9a-b8fe-575f050f886e')).toBeUndefined();
  });
});
