/**
 * Edge cases on in-memory disks: EBR loops and limits, bad links, stale GPT
 * headers, absurd GPT counts, truncated disks, openPartition bounds.
 */
import { describe, expect, it } from 'vitest';
import { CorruptError, LimitExceededError, MemorySource, OutOfRangeError } from '@coldfix/io';
import { openPartition, readPartitionTable } from '@coldfix/partitions';
import { BASIC, EFI, gptDisk, mbrDisk, writeBootRecord } from './synthetic.js';

const read = (b: Uint8Array, o?: { sectorSize?: 512 | 4096; strict?: boolean }) => readPartitionTable(new MemorySource(b), o);

describe('MBR edge cases', () => {
  it('EBR chain: relative addressing (entry to its EBR, link to the extended start)', async () => {
    const t = await read(mbrDisk(16384, [[63, 100], [63, 200], [2048 - 1000, 500]]));
    expect(t.partitions.map((p) => [p.index, p.offset / 512, p.size / 512, p.logical ?? false, p.extended ?? false])).toEqual([
      [1, 63, 1985, false, false],
      [2, 2048, 14336, false, true],
      [5, 2048 + 63, 100, true, false],
      [6, 4096 + 63, 200, true, false],
      [7, 6144 + 1048, 500, true, false],
    ]);
    expect(t.partitions[0].bootable).toBe(true);
    expect(t.diskSignature).toBe('0x12345678');
    expect(t.anomalies).toEqual([]);
  });

  it('a chain that links back → CorruptError MBR_EBR_LOOP', async () => {
    const disk = mbrDisk(16384, [[63, 100], [63, 100]]);
    writeBootRecord(disk, 4096 * 512, [{ type: 0x83, start: 63, size: 100 }, { type: 0x05, start: 0, size: 2048 }]);
    const e = await read(disk).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CorruptError);
    expect((e as CorruptError).code).toBe('MBR_EBR_LOOP');
  });

  it('more than 256 logical partitions → LimitExceededError', async () => {
    const logicals = Array.from({ length: 300 }, () => [1, 1] as [number, number]);
    const e = await read(mbrDisk(2048 + 300 * 2, logicals, 2048, 2)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LimitExceededError);
    expect((e as LimitExceededError).code).toBe('MBR_TOO_MANY_LOGICAL');
  });

  it('link outside the extended partition, EBR without 0x55AA, odd boot flag, zero size: anomalies', async () => {
    const disk = mbrDisk(16384, [[63, 100], [63, 100]]);
    writeBootRecord(disk, 2048 * 512, [{ type: 0x83, start: 63, size: 100 }, { type: 0x05, start: 999_999, size: 1 }]);
    writeBootRecord(disk, 0, [{ boot: 0x12, type: 0x07, start: 63, size: 100 }, { type: 0x05, start: 2048, size: 14336 }, { type: 0x83, start: 5, size: 0 }]);
    const t = await read(disk);
    expect(t.partitions.filter((p) => p.logical)).toHaveLength(1);
    expect(t.anomalies.join('\n')).toMatch(/boot indicator 0x12/);
    expect(t.anomalies.join('\n')).toMatch(/link to LBA 1002047 lies outside/);
    expect(t.anomalies.join('\n')).toMatch(/slot 3: type 0x83 with zero size/);
    const noSig = mbrDisk(16384, [[63, 100], [63, 100]]);
    noSig[4096 * 512 + 510] = 0;
    expect((await read(noSig)).anomalies.join('\n')).toMatch(/EBR at LBA 4096 .* no 0x55AA/);
  });

  it('a disk shorter than a sector → CorruptError DISK_TRUNCATED; no signature → none', async () => {
    await expect(read(new Uint8Array(100))).rejects.toMatchObject({ code: 'DISK_TRUNCATED' });
    expect((await read(new Uint8Array(4096))).scheme).toBe('none');
  });
});

describe('GPT edge cases', () => {
  const parts = [
    { type: EFI, guid: 'aaaaaaaa-0000-0000-0000-000000000001', first: 40, last: 1063, name: 'EFI' },
    { type: BASIC, guid: 'aaaaaaaa-0000-0000-0000-000000000002', first: 1064, last: 3000, name: 'data', attributes: 1n << 63n },
  ];
  it('decodes both copies consistently, 512 and 4096', async () => {
    for (const ss of [512, 4096] as const) {
      const t = await read(gptDisk(ss, 4096, parts));
      expect(t.sectorSize).toBe(ss);
      expect(t.anomalies).toEqual([]);
      expect(t.partitions.map((p) => [p.index, p.offset, p.size, p.name, p.attributes])).toEqual([
        [1, 40 * ss, 1024 * ss, 'EFI', '0x0000000000000000'],
        [2, 1064 * ss, 1937 * ss, 'data', '0x8000000000000000'],
      ]);
    }
  });

  it('absurd entry count in both copies → LimitExceededError GPT_LIMIT_EXCEEDED', async () => {
    const disk = gptDisk(512, 4096, parts, 4, 128);
    for (const lba of [1, 4095]) {
      const v = new DataView(disk.buffer, lba * 512, 92);
      v.setUint32(80, 0x7fffffff, true);
      v.setUint32(16, 0, true);
      const { crc32 } = await import('@coldfix/io');
      v.setUint32(16, crc32(disk.subarray(lba * 512, lba * 512 + 92)), true);
    }
    const e = await read(disk).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LimitExceededError);
    expect((e as LimitExceededError).code).toBe('GPT_LIMIT_EXCEEDED');
  });

  it('GPT header without a protective MBR: used, with an anomaly; with real MBR records: stale, MBR wins', async () => {
    const disk = gptDisk(512, 4096, parts);
    disk.fill(0, 446, 512);
    expect((await read(disk)).scheme).toBe('gpt');
    expect((await read(disk)).anomalies.join()).toMatch(/without a protective MBR/);
    writeBootRecord(disk, 0, [{ type: 0x07, start: 2048, size: 1000 }]);
    const t = await read(disk);
    expect(t.scheme).toBe('mbr');
    expect(t.anomalies.join()).toMatch(/GPT ignored, MBR used/);
  });

  it('inverted or out-of-range entries are anomalies; overlaps too', async () => {
    const t = await read(gptDisk(512, 4096, [...parts, { type: BASIC, guid: 'aaaaaaaa-0000-0000-0000-000000000003', first: 500, last: 400 }, { type: BASIC, guid: 'aaaaaaaa-0000-0000-0000-000000000004', first: 2000, last: 9000 }]));
    expect(t.partitions.map((p) => p.index)).toEqual([1, 2, 4]);
    const all = t.anomalies.join('\n');
    expect(all).toMatch(/entry 3: EndingLBA 400 < StartingLBA 500/);
    expect(all).toMatch(/entry 4: LBA 2000-9000 is outside the usable range/);
    expect(all).toMatch(/partition 4 .* extends beyond the end of the disk/);
    expect(all).toMatch(/partition 4 overlaps partition 2/);
  });

  it('openPartition: a window; clamped past the end of a truncated disk; typed error past the end', async () => {
    const disk = new MemorySource(gptDisk(512, 4096, parts));
    const t = await readPartitionTable(disk);
    const p = openPartition(disk, t.partitions[0]);
    expect([p.start, p.size]).toEqual([40 * 512, 1024 * 512]);
    const clamped = openPartition(disk, { ...t.partitions[0], offset: 4000 * 512, size: 1000 * 512 });
    expect(clamped.size).toBe(96 * 512);
    expect(() => openPartition(disk, { ...t.partitions[0], offset: 5000 * 512 })).toThrow(OutOfRangeError);
  });
});
