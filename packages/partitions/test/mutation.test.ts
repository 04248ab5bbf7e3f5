/**
 * Mutation tests (fast-check): MBR / EBR / GPT sectors with random bytes
 * changed must decode (with anomalies) or throw a typed ColdfixError; never
 * another exception, a hang, or an unbounded allocation. Each read is raced
 * against a timeout.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeWith, itWith, missingFixtures } from '@coldfix/test-support';
import { ColdfixError, MemorySource, crc32 } from '@coldfix/io';
import { readPartitionTable } from '@coldfix/partitions';
import { REAL } from './helpers.js';
import { BASIC, EFI, gptDisk, mbrDisk } from './synthetic.js';

const TIMEOUT_MS = 2000;

async function readOrTypedError(disk: Uint8Array, sectorSize?: 512 | 4096): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('readPartitionTable hung')), TIMEOUT_MS); });
  try {
    const t = await Promise.race([readPartitionTable(new MemorySource(disk), sectorSize ? { sectorSize } : {}), timeout]);
    expect(['gpt', 'mbr', 'none']).toContain(t.scheme);
    for (const p of t.partitions) {
      expect(Number.isSafeInteger(p.offset) && Number.isSafeInteger(p.size) && p.offset >= 0 && p.size >= 0).toBe(true);
      expect(['bitlocker', 'ntfs', 'fat', 'unknown']).toContain(p.content);
    }
    expect(t.anomalies.every((a) => typeof a === 'string')).toBe(true);
  } catch (error) {
    if (!(error instanceof ColdfixError)) throw error;
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ code: error.code, layer: error.layer });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Recomputes the CRCs of the GPT copies at LBA 1 and the last LBA (when the
 * mutated header still has sane sizes) so that mutations reach the checks
 * behind the CRCs.
 */
function fixCrcs(disk: Uint8Array, ss: number): void {
  for (const lba of [1, disk.length / ss - 1]) {
    const at = lba * ss;
    const v = new DataView(disk.buffer, disk.byteOffset + at, 92);
    const count = v.getUint32(80, true);
    const size = v.getUint32(84, true);
    const entryLba = Number(v.getBigUint64(72, true));
    const start = entryLba * ss;
    if (count * size <= 1 << 20 && start + count * size <= disk.length) v.setUint32(88, crc32(disk.subarray(start, start + count * size)), true);
    const headerSize = Math.min(Math.max(v.getUint32(12, true), 92), ss);
    v.setUint32(16, 0, true);
    v.setUint32(16, crc32(disk.subarray(at, at + headerSize)), true);
  }
}

/** Applies `edits` to `disk` in place, runs the check, restores the bytes. */
function mutated(disk: Uint8Array, regions: Array<[number, number]>, fixup?: (d: Uint8Array) => void) {
  const edit = fc.tuple(fc.nat({ max: regions.length - 1 }), fc.nat(), fc.integer({ min: 0, max: 255 }));
  return fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 24 }), async (edits) => {
    const original = fixup ? disk.slice() : undefined;
    const saved: Array<[number, number]> = [];
    for (const [r, pos, value] of edits) {
      const [start, length] = regions[r];
      const at = start + (pos % length);
      saved.push([at, disk[at]]);
      disk[at] = value;
    }
    fixup?.(disk);
    try {
      await readOrTypedError(disk);
    } finally {
      if (original) disk.set(original);
      else for (const [at, old] of saved.reverse()) disk[at] = old;
    }
  });
}

const RUNS = 250;
const parts = [
  { type: EFI, guid: 'aaaaaaaa-0000-0000-0000-000000000001', first: 40, last: 1063, name: 'EFI' },
  { type: BASIC, guid: 'aaaaaaaa-0000-0000-0000-000000000002', first: 1064, last: 3000, name: 'data' },
];

describe('mutated partition tables give a table or a typed error', () => {
  it('MBR with an EBR chain (partition records and EBRs mutated)', async () => {
    const disk = mbrDisk(8192, [[63, 100], [63, 200], [63, 300], [63, 100]], 2048, 1024);
    const ebrs: Array<[number, number]> = [0, 1, 2, 3].map((i) => [(2048 + i * 1024) * 512 + 446, 66]);
    await fc.assert(mutated(disk, [[0, 512], [446, 66], ...ebrs]), { numRuns: RUNS });
  });

  it.each([512, 4096] as const)('GPT with %i-byte sectors (pMBR, headers and entry arrays mutated)', async (ss) => {
    const sectors = ss === 512 ? 4096 : 1024;
    const disk = gptDisk(ss, sectors, parts.map((p) => ({ ...p, last: Math.min(p.last, sectors - 40) })));
    const last = (sectors - 1) * ss;
    await fc.assert(mutated(disk, [[446, 66], [ss, 92], [ss, 92], [2 * ss, 256], [last, 92], [last - 32 * ss, 256]]), { numRuns: RUNS });
  });

  it.each([512, 4096] as const)('GPT with %i-byte sectors, fields mutated behind recomputed CRCs', async (ss) => {
    const sectors = ss === 512 ? 1024 : 256;
    const disk = gptDisk(ss, sectors, parts.map((p) => ({ ...p, last: Math.min(p.last, sectors - 40) })), 16);
    const last = (sectors - 1) * ss;
    // Header fields other than the CRC (12..15 headerSize, 24..91 LBAs, counts), first entries.
    await fc.assert(mutated(disk, [[12, 4], [ss + 24, 68], [ss + 24, 68], [2 * ss, 256], [last + 24, 68]].map(([a, n]) => [a < ss ? ss + a : a, n] as [number, number]), (d) => fixCrcs(d, ss)), { numRuns: RUNS });
  });

  for (const name of ['gpt.bin', 'gpt_esxi.bin', 'gpt_hybrid.bin', 'gpt_4k.bin', 'mbr.bin']) itWith(missingFixtures(`fox-it-dissect.volume/${name}`))(`real fixture ${name}`, async () => {
    const disk = new Uint8Array(readFileSync(join(REAL, 'fox-it-dissect.volume', name)));
    const regions: Array<[number, number]> = [[446, 66], [0, disk.length]];
    if (disk.length > 4096 + 92) regions.push([512, 92], [1024, 512], [4096, 92], [8192, 512]);
    await fc.assert(mutated(disk, regions), { numRuns: RUNS });
  });

  it('random first sectors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 512, maxLength: 8192 }), fc.boolean(), async (bytes, sig) => {
        if (sig) { bytes[510] = 0x55; bytes[511] = 0xaa; }
        await readOrTypedError(bytes);
      }),
      { numRuns: RUNS },
    );
  });
});
