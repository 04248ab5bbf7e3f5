/**
 * The byte formatters of listing-format.ts against the string ones of
 * @coldfix/ntfs (filetimeToIso), including the same-second cache of
 * writeTime (times close together, across second and 2^32-tick borders).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { filetimeToIso } from '@coldfix/ntfs';
import { writeTime, writeUint } from '../src/listing-format.js';

describe('writeTime', () => {
  it('formats like filetimeToIso, also for runs of nearby times (cached second)', () => {
    const bytes = new Uint8Array(64);
    const check = (t: bigint) => {
      const end = writeTime(bytes, 5, Number(t & 0xffffffffn), Number(t >> 32n));
      expect(Buffer.from(bytes.subarray(5, end)).toString('latin1')).toBe(filetimeToIso(t));
    };
    const base = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    const steps = fc.array(fc.bigInt({ min: -20000000n, max: 20000000n }), { maxLength: 20 });
    fc.assert(
      fc.property(base, steps, (t, deltas) => {
        check(t);
        for (const d of deltas) {
          const u = t + d;
          if (u >= 0n && u < 1n << 64n) check(u);
        }
      }),
      { numRuns: 1000 },
    );
    // A second straddling a 2^32-tick border (the cached start's low half borrows).
    for (const t of [(5n << 32n) - 3n, 5n << 32n, (5n << 32n) + 9999999n, 133320345779724723n, 133320345770000000n, 133320345769999999n]) check(t);
  });
});

describe('writeUint', () => {
  it('writes decimal digits like String()', () => {
    const bytes = new Uint8Array(32);
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), (v) => {
        const end = writeUint(bytes, 2, v);
        expect(Buffer.from(bytes.subarray(2, end)).toString('latin1')).toBe(String(v));
      }),
      { numRuns: 2000 },
    );
  });
});
