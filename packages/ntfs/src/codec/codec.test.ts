import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeRunlist, encodeRunlist, findRun } from './runlist.js';
import { decompressLznt1 } from './lznt1.js';
import { applyFixups, protectFixups } from './fixup.js';
import { UpcaseTable } from './upcase.js';
import { filetimeToIso, filetimeToUnixSeconds } from './filetime.js';
import { decodeFileReference, encodeFileReference } from './file-reference.js';
import { CorruptError } from '@coldfix/io';

describe('runlist', () => {
  it('decodes runs, a sparse run and a negative LCN delta', () => {
    // 0x30 clusters at LCN 0x60; 0x10 sparse; 0x20 clusters at 0x60 - 0x20 = 0x40.
    const bytes = Uint8Array.from([0x11, 0x30, 0x60, 0x01, 0x10, 0x11, 0x20, 0xe0, 0x00]);
    expect(decodeRunlist(bytes)).toEqual([
      { vcn: 0, lcn: 0x60, length: 0x30 },
      { vcn: 0x30, lcn: null, length: 0x10 },
      { vcn: 0x40, lcn: 0x40, length: 0x20 },
    ]);
    expect(decodeRunlist(bytes, 100)[0].vcn).toBe(100);
  });
  it('rejects truncated pairs, bad headers and LCNs below zero', () => {
    expect(() => decodeRunlist(Uint8Array.from([0x21, 0x18, 0x34]))).toThrow(CorruptError);
    expect(() => decodeRunlist(Uint8Array.from([0x90, 0x01]))).toThrow(CorruptError);
    expect(() => decodeRunlist(Uint8Array.from([0x11, 0x10, 0xf0, 0x00]))).toThrow(/LCN/);
    expect(() => decodeRunlist(Uint8Array.from([0x11, 0x00, 0x10, 0x00]))).toThrow(/clusters/);
  });
  it('round-trips any runlist through encode/decode', () => {
    const run = fc.record({ sparse: fc.boolean(), length: fc.integer({ min: 1, max: 2 ** 40 }), lcn: fc.integer({ min: 0, max: 2 ** 44 }) });
    fc.assert(fc.property(fc.array(run, { maxLength: 40 }), (spec) => {
      let vcn = 0;
      const runs = spec.map((r) => {
        const out = { vcn, lcn: r.sparse ? null : r.lcn, length: r.length };
        vcn += r.length;
        return out;
      });
      expect(decodeRunlist(encodeRunlist(runs))).toEqual(runs);
      for (const r of runs) expect(runs[findRun(runs, r.vcn + r.length - 1)]).toBe(r);
    }));
  });
  it('never throws anything but CorruptError/LimitExceededError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        decodeRunlist(bytes);
      } catch (error) {
        expect((error as { kind?: string }).kind).toMatch(/corrupt|limit-exceeded/);
      }
    }));
  });
});

describe('LZNT1', () => {
  it('expands a back reference that overlaps its own output', () => {
    // 'a' literal, then (offset 1, length 9): flags 0b10, token 0x0006.
    const input = Uint8Array.from([0x03, 0xb0, 0x02, 0x61, 0x06, 0x00]);
    const out = new Uint8Array(16);
    expect(decompressLznt1(input, out)).toBe(10);
    expect(new TextDecoder().decode(out.subarray(0, 10))).toBe('aaaaaaaaaa');
  });
  it('copies stored chunks', () => {
    const data = Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff);
    const input = new Uint8Array(4098);
    input[0] = 0xff;
    input[1] = 0x3f;
    input.set(data, 2);
    const out = new Uint8Array(4096);
    decompressLznt1(input, out);
    expect(out).toEqual(data);
  });
  it('rejects a reference before the chunk start, and survives random input', () => {
    expect(() => decompressLznt1(Uint8Array.from([0x03, 0xb0, 0x01, 0x10, 0x00, 0x00]), new Uint8Array(64))).toThrow(CorruptError);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        decompressLznt1(bytes, new Uint8Array(8192));
      } catch (error) {
        expect(error).toBeInstanceOf(CorruptError);
      }
    }));
  });
});

describe('fixups', () => {
  it('protects and restores the stride tails, and detects a torn sector', () => {
    const record = Uint8Array.from({ length: 1024 }, (_, i) => (i * 7) & 0xff);
    const original = record.slice();
    protectFixups(record, 0x30, 3, 0x1234);
    expect(record[510] | (record[511] << 8)).toBe(0x1234);
    const copy = record.slice();
    expect(applyFixups(copy, 0x30, 3).ok).toBe(true);
    expect(copy.subarray(0x36)).toEqual(original.subarray(0x36));
    const torn = record.slice();
    torn[1022] = 0;
    expect(applyFixups(torn, 0x30, 3)).toMatchObject({ ok: false });
    expect(applyFixups(record.slice(), 0x3fe, 3).ok).toBe(false);
  });
});

describe('$UpCase collation', () => {
  const table = new Uint16Array(65536).map((_, i) => (i >= 0x61 && i <= 0x7a ? i - 32 : i));
  const upcase = new UpcaseTable(table);
  it('orders case-insensitively, then by length, then by raw units', () => {
    expect(upcase.compareIgnoreCase('abc', 'ABC')).toBe(0);
    expect(upcase.compareIgnoreCase('a', 'B')).toBeLessThan(0);
    expect(upcase.compareIgnoreCase('_', 'a')).toBeGreaterThan(0); // '_' (0x5F) sorts after 'A' (0x41)
    expect(upcase.collate('Case', 'case')).toBeLessThan(0);
    expect(upcase.compareIgnoreCase('ab', 'abc')).toBeLessThan(0);
  });
  it('uses the table, not String.toUpperCase', () => {
    // 'ß'.toUpperCase() is 'SS'; NTFS tables map it to itself.
    expect(upcase.equalIgnoreCase('ß', 'SS')).toBe(false);
    expect(upcase.upcase('ä')).toBe('ä');
  });
});

describe('FILETIME', () => {
  it('keeps 100-ns precision', () => {
    expect(filetimeToIso(116444736000000000n)).toBe('1970-01-01T00:00:00.0000000Z');
    expect(filetimeToIso(116444736000000001n)).toBe('1970-01-01T00:00:00.0000001Z');
    expect(filetimeToIso(BigInt(Date.UTC(2023, 5, 23, 2, 16, 17) / 1000) * 10000000n + 116444736000000000n + 9724723n)).toBe('2023-06-23T02:16:17.9724723Z');
    expect(filetimeToIso(116444735999999999n)).toBe('1969-12-31T23:59:59.9999999Z');
    expect(filetimeToUnixSeconds(116444736019999999n)).toBe(1);
  });
});

describe('file references', () => {
  it('round-trips 48-bit record numbers and sequences', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.integer({ min: 0, max: 0xffff }), (recordNumber, sequence) => {
      const bytes = new Uint8Array(8);
      encodeFileReference({ recordNumber, sequence }, bytes, 0);
      expect(decodeFileReference(bytes, 0)).toEqual({ recordNumber, sequence });
    }));
  });
});

describe('UpcaseTable.fromBytes', () => {
  /** The definition: unit i from bytes 2i (low) and 2i+1 (high), the rest mapped to themselves. */
  const reference = (bytes: Uint8Array): Uint16Array => {
    const table = new Uint16Array(65536);
    const units = Math.floor(bytes.length / 2);
    for (let i = 0; i < 65536; i++) table[i] = i < units ? bytes[2 * i] | (bytes[2 * i + 1] << 8) : i;
    return table;
  };
  // Compared as bytes: toEqual walks 65,536 elements through its generic machinery (a minute for 200 runs under CI load).
  const same = (a: Uint16Array, b: Uint16Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  it('reads little-endian units from any view (odd offsets, short and odd-length tables, longer ones cut)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.nat({ max: 3 }), (raw, skip) => {
        const view = raw.subarray(Math.min(skip, raw.length));
        return same(UpcaseTable.fromBytes(view).table, reference(view));
      }),
      { numRuns: 100 },
    );
    const full = new Uint8Array(65536 * 2 + 7).map((_, i) => (i * 7) & 0xff);
    expect(same(UpcaseTable.fromBytes(full.subarray(1)).table, reference(full.subarray(1)))).toBe(true);
    // The check itself can fail: a table off by one unit differs.
    const shifted = reference(full.subarray(1));
    shifted[12345] ^= 1;
    expect(same(UpcaseTable.fromBytes(full.subarray(1)).table, shifted)).toBe(false);
  });
});
