/** defineStruct declaration checks and round trips; toSafeNumber bounds. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defineStruct, toSafeNumber, type ColdfixError } from '../src/index.js';

describe('defineStruct declaration checks', () => {
  it('rejects a field that overflows the declared size', () => {
    expect(() => defineStruct('Bad', 8, { a: { offset: 0, type: 'u32le' }, b: { offset: 6, type: 'u32le' } })).toThrow(/Bad\.b overflows the declared size 8/);
    expect(() => defineStruct('Bad', 15, { g: { offset: 0, type: 'guid' } })).toThrow(/overflows/);
    expect(() => defineStruct('Bad', 4, { s: { offset: 1, type: 'ascii', size: 4 } })).toThrow(/overflows/);
  });

  it('rejects overlapping fields, whatever their declaration order', () => {
    expect(() => defineStruct('Bad', 16, { a: { offset: 0, type: 'u64le' }, b: { offset: 7, type: 'u8' } })).toThrow(/Bad\.b overlaps a/);
    expect(() => defineStruct('Bad', 16, { late: { offset: 4, type: 'u16le' }, early: { offset: 0, type: 'u48le' } })).toThrow(/overlaps/);
  });

  it('accepts adjacent fields that exactly fill the structure', () => {
    const S = defineStruct('Ok', 16, { a: { offset: 0, type: 'u64le' }, b: { offset: 8, type: 'u32be' }, c: { offset: 12, type: 'bytes', size: 4 } });
    expect(S.size).toBe(16);
  });

  it('encode then decode round-trips every numeric type (property)', () => {
    const S = defineStruct('All', 48, {
      u8: { offset: 0, type: 'u8' },
      u16le: { offset: 1, type: 'u16le' },
      u16be: { offset: 3, type: 'u16be' },
      u24le: { offset: 5, type: 'u24le' },
      u32le: { offset: 8, type: 'u32le' },
      u32be: { offset: 12, type: 'u32be' },
      u48le: { offset: 16, type: 'u48le' },
      i32le: { offset: 22, type: 'i32le' },
      u64le: { offset: 26, type: 'u64le' },
      i64le: { offset: 34, type: 'i64le' },
      i16le: { offset: 42, type: 'i16le' },
      i8: { offset: 44, type: 'i8' },
    });
    fc.assert(
      fc.property(
        fc.record({
          u8: fc.integer({ min: 0, max: 0xff }),
          u16le: fc.integer({ min: 0, max: 0xffff }),
          u16be: fc.integer({ min: 0, max: 0xffff }),
          u24le: fc.integer({ min: 0, max: 0xffffff }),
          u32le: fc.integer({ min: 0, max: 0xffffffff }),
          u32be: fc.integer({ min: 0, max: 0xffffffff }),
          u48le: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
          i32le: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
          u64le: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          i64le: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
          i16le: fc.integer({ min: -32768, max: 32767 }),
          i8: fc.integer({ min: -128, max: 127 }),
        }),
        (value) => {
          expect(S.decode(S.encode(value))).toEqual(value);
        },
      ),
    );
  });

  it('decoding a truncated buffer throws CorruptError STRUCT_TRUNCATED; a bounded view never reads past a subarray', () => {
    const S = defineStruct('T', 8, { a: { offset: 4, type: 'u32le' } });
    const error = (() => {
      try {
        S.decode(new Uint8Array(7));
      } catch (e) {
        return e as ColdfixError;
      }
    })();
    expect(error?.kind).toBe('corrupt');
    expect(error?.code).toBe('STRUCT_TRUNCATED');
    const big = new Uint8Array(16).fill(0xff);
    expect(() => S.decode(big.subarray(0, 7))).toThrow();
    expect(S.decode(big.subarray(8, 16)).a).toBe(0xffffffff);
  });
});

describe('toSafeNumber', () => {
  it('passes values up to 2^53-1 through exactly', () => {
    expect(toSafeNumber(0n, 'x')).toBe(0);
    expect(toSafeNumber(BigInt(Number.MAX_SAFE_INTEGER), 'x')).toBe(Number.MAX_SAFE_INTEGER);
  });
  it('throws LimitExceededError naming the field above 2^53-1 and below 0', () => {
    for (const value of [BigInt(Number.MAX_SAFE_INTEGER) + 1n, 2n ** 64n - 1n, -1n]) {
      try {
        toSafeNumber(value, 'Header.dataOffset', 'vhd', 16);
        expect.fail('should throw');
      } catch (e) {
        const error = e as ColdfixError;
        expect(error.kind).toBe('limit-exceeded');
        expect(error.code).toBe('VALUE_NOT_SAFE_INTEGER');
        expect(error.layer).toBe('vhd');
        expect(error.offset).toBe(16);
        expect(error.message).toContain('Header.dataOffset');
      }
    }
  });
});
