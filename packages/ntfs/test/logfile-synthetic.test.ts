/**
 * The $LogFile reader on synthetic journals laid out as LFS lays them
 * (helpers/build-log.ts): torn restart copy fallback, the newer copy winning,
 * CHKD, LSN <-> offset, records spanning pages and wrapping around the
 * circular area, and 2,000 mutated journals that must decode or end in a
 * typed error, never a crash or a hang.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ColdfixError } from '@coldfix/io';
import { decodeLogFile, lsnToOffset, offsetToLsn, operationName } from '../src/index.js';
import { buildLog, encodeRestart, ntfsUpdate, PAGE } from './helpers/build-log.js';

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const updates = (n: number, size: number) => Array.from({ length: n }, (_, i) => ({ data: ntfsUpdate(0x07, 0x07, bytes(size, i), bytes(size, i + 1), { targetVcn: BigInt(i), clusterBlockOffset: 2 }) }));

describe('$LogFile reader on synthetic journals', () => {
  it('finds every record with its LSN, operations and MFT target; LSN and offset convert both ways', () => {
    const { log, records, seqNumberBits } = buildLog({ records: updates(40, 100) });
    const j = decodeLogFile(log);
    expect(j.records.map((r) => r.lsn)).toEqual(records.map((r) => r.lsn));
    for (const [i, r] of j.records.entries()) {
      expect(r.update!.redoOperationName).toBe('UpdateResidentValue');
      expect(r.update!.redo).toEqual(bytes(100, i));
      expect(r.update!.mftRecord).toBe((i * 4096 + 1024) / 1024);
      expect(lsnToOffset(r.lsn, { seqNumberBits })).toBe(records[i].offset);
      expect(offsetToLsn(records[i].offset, 1n, { seqNumberBits })).toBe(r.lsn);
    }
  });

  it('reads records longer than a page (multi-page) and records that wrap from the end of the circular area to its start', () => {
    const big = { data: ntfsUpdate(0x02, 0x03, bytes(9000, 7), new Uint8Array(0)) };
    // Start two pages before the end of a 12-page log: the big record wraps to page 4 with the sequence number raised.
    const { log, records, seqNumberBits } = buildLog({ pages: 12, startPage: 10, startInPage: 0x800, records: [...updates(2, 64), big, ...updates(3, 64)] });
    const j = decodeLogFile(log);
    expect(j.records.map((r) => r.lsn)).toEqual(records.map((r) => r.lsn));
    const wrapped = j.records.find((r) => r.update!.redo.length === 9000)!;
    expect(wrapped.update!.redo).toEqual(bytes(9000, 7));
    expect(wrapped.pageSpan).toBeGreaterThan(2);
    const seqs = j.records.map((r) => r.lsn >> BigInt(64 - seqNumberBits));
    expect(new Set(seqs)).toEqual(new Set([1n, 2n]));
    expect(operationName(0x25)).toBe('ZeroEndOfFileRecord');
  });

  it('falls back to the second restart copy when the first is torn, and uses the copy with the newer current LSN', () => {
    const { log, records } = buildLog({ records: updates(5, 64) });
    const torn = log.slice();
    torn[511] ^= 0xff; // a sector tail no longer matches the update sequence number
    const j = decodeLogFile(torn);
    expect(j.restart!.copies[0].ok).toBe(false);
    expect(j.current!.offset).toBe(PAGE);
    expect(j.records.length).toBe(5);
    const newer = log.slice();
    newer.set(encodeRestart({ size: log.length, seqNumberBits: j.current!.seqNumberBits, currentLsn: records[4].lsn + 100n, major: 1, minor: 1, flags: 2, inUse: 0, magic: 'CHKD', oldest: records[0].lsn }), PAGE);
    const k = decodeLogFile(newer);
    expect(k.current!.offset).toBe(PAGE);
    expect(k.current!.magic).toBe('CHKD');
    expect(k.clean).toBe(true);
  });

  it('rejects a log with no valid restart page and a log too small, with typed errors', () => {
    const { log } = buildLog({ records: updates(2, 64) });
    const junk = log.slice();
    junk.fill(0x41, 0, 2 * PAGE);
    expect(() => decodeLogFile(junk)).toThrow(expect.objectContaining({ code: 'NTFS_LOG_NO_RESTART_PAGE' }));
    expect(() => decodeLogFile(log.subarray(0, 4096))).toThrow(expect.objectContaining({ code: 'NTFS_LOG_TOO_SMALL' }));
  });

  it('2,000 mutated journals (restart pages, record headers, LSNs, lengths, op codes, random bytes) decode or give typed errors', () => {
    const { log, records } = buildLog({ pages: 12, records: updates(30, 200) });
    const headerSpots = records.flatMap((r) => [r.offset, r.offset + 24, r.offset + 32, r.offset + 0x30, r.offset + 0x32, r.offset + 0x36]);
    const spot = fc.oneof(
      fc.integer({ min: 0, max: 2 * PAGE - 1 }),
      fc.constantFrom(...headerSpots).chain((s) => fc.integer({ min: s, max: s + 7 })),
      fc.integer({ min: 0, max: log.length - 1 }),
    );
    fc.assert(fc.property(fc.array(fc.tuple(spot, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }), (edits) => {
      const m = log.slice();
      for (const [at, v] of edits) m[at] = v;
      try {
        const j = decodeLogFile(m);
        for (const r of j.records) expect(r.clientDataLength).toBeLessThanOrEqual(m.length);
      } catch (error) {
        if (!(error instanceof ColdfixError)) throw error;
      }
    }), { numRuns: 2000 });
  }, 120_000);
});
