/**
 * Damaged VHDX input must decode or fail with a typed error (never a crash, a
 * hang or an unbounded allocation): random byte mutations of a dynamic file and
 * a differencing child (from the independent test writer) and of a file with a
 * pending log (made by qemu), each opened and read in full from memory. Also
 * the log's active-sequence search on logs with several entries, wrap-around
 * and stale entries.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ColdfixError, MemorySource, type FileOpener } from '@coldfix/io';
import { openDiskImage } from '@coldfix/disk-image';
import { writeVhdx } from '@coldfix/test-images';
import { encodeLogEntry } from '../src/vhdx/log-writer.js';
import { findActiveSequence } from '../src/vhdx/log-replay.js';
import { scratchDir } from './helpers.js';
import { makePendingLogVhdx, missing } from './vhdx-helpers.js';

const MIB = 1 << 20;
const scratch = scratchDir('vhdx-mutation');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function files(): Record<string, Uint8Array> {
  const base = join(scratch, 'base.vhdx');
  const data = Uint8Array.from({ length: 3 * MIB }, (_, i) => (i * 13) & 0xff);
  const { dataWriteGuid } = writeVhdx(base, { virtualSize: 8 * MIB, writes: [[MIB, data]] });
  const child = join(scratch, 'child.avhdx');
  writeVhdx(child, { virtualSize: 8 * MIB, parent: { dataWriteGuid, relativePath: '.\\base.vhdx' }, writes: [[4096, data.subarray(0, 8192)], [5 * MIB, data.subarray(0, MIB)]] });
  const out: Record<string, Uint8Array> = { dynamic: readFileSync(base), child: readFileSync(child) };
  if (!missing('qemu-img', 'qemu-io')) out.pendingLog = readFileSync(makePendingLogVhdx(scratch));
  return out;
}

// Where the structures are: header section, and the first 64–128 KiB of each MiB the log, BAT and metadata occupy.
const structureOffset = fc.oneof(
  fc.integer({ min: 0, max: 320 * 1024 - 1 }),
  fc.integer({ min: MIB, max: MIB + 64 * 1024 - 1 }),
  fc.integer({ min: 2 * MIB, max: 2 * MIB + 128 * 1024 - 1 }),
  fc.integer({ min: 3 * MIB, max: 3 * MIB + 128 * 1024 - 1 }),
);

describe('mutated VHDX files: decoded or a typed error', () => {
  const originals = files();
  const parentBytes = originals.dynamic;
  for (const [name, original] of Object.entries(originals)) {
    it(`${name}: 60 random mutations of the structures`, { timeout: 300_000 }, async () => {
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(structureOffset, fc.nat(255)), { minLength: 1, maxLength: 24 }), async (edits) => {
          runs++;
          const bytes = original.slice();
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          const openFile = (async (path: string) => new MemorySource(path.endsWith('base.vhdx') ? parentBytes.slice() : bytes, { identity: path })) as unknown as FileOpener;
          try {
            const image = await openDiskImage(join(scratch, `${name}.vhdx`), { openFile });
            try {
              for (let o = 0; o < image.size; o += MIB) await image.read(o, Math.min(MIB, image.size - o));
            } finally {
              await image.close();
            }
          } catch (error) {
            expect(error instanceof ColdfixError, `untyped error: ${String(error)}`).toBe(true);
          }
        }),
        { numRuns: 60 },
      );
      expect(runs).toBe(60);
    });
  }
});

describe('log active sequence (MS-VHDX §2.3.3)', () => {
  const GUID = '11111111-2222-3333-4444-555555555555';
  const OTHER = '99999999-2222-3333-4444-555555555555';
  const sector = (v: number) => new Uint8Array(4096).fill(v);
  const entry = (seq: bigint, tail: number, guid = GUID, fileOffset = 2 * MIB) =>
    encodeLogEntry({ sequenceNumber: seq, logGuid: guid, tail, flushedFileOffset: 4 * MIB, lastFileOffset: 4 * MIB, updates: [{ fileOffset, data: sector(Number(seq)) }] });

  it('three consecutive entries, head tail at the first: all three, in order', () => {
    const log = new Uint8Array(MIB);
    log.set(entry(5n, 0), 0);
    log.set(entry(6n, 0), 8192);
    log.set(entry(7n, 0), 16384);
    const active = findActiveSequence(log, GUID)!;
    expect(active.entries.map((e) => e.sequenceNumber)).toEqual([5n, 6n, 7n]);
    expect(active.head.writes[0]).toMatchObject({ kind: 'data', fileOffset: 2 * MIB });
  });

  it('the head\'s tail trims the sequence; a stale entry of another LogGuid is ignored; a gap in sequence numbers splits', () => {
    const log = new Uint8Array(MIB);
    log.set(entry(5n, 0), 0);
    log.set(entry(6n, 8192), 8192);
    log.set(entry(7n, 8192), 16384);
    log.set(entry(50n, 24576, OTHER), 24576);
    log.set(entry(9n, 32768), 32768);
    const active = findActiveSequence(log, GUID)!;
    // 9 stands alone (8 is missing) and is the newest valid sequence.
    expect(active.entries.map((e) => e.sequenceNumber)).toEqual([9n]);
    log.fill(0, 32768, 40960);
    expect(findActiveSequence(log, GUID)!.entries.map((e) => e.sequenceNumber)).toEqual([6n, 7n]);
  });

  it('a sequence wrapping round the end of the ring', () => {
    const log = new Uint8Array(64 * 1024);
    log.set(entry(3n, 64 * 1024 - 8192), 64 * 1024 - 8192);
    log.set(entry(4n, 64 * 1024 - 8192), 0);
    expect(findActiveSequence(log, GUID)!.entries.map((e) => e.sequenceNumber)).toEqual([3n, 4n]);
  });
});
