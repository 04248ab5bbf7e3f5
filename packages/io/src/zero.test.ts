import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isZero } from './zero.js';

/** The plain definition, to compare with. */
const naive = (b: Uint8Array, offset: number, length: number): boolean => b.subarray(offset, offset + length).every((x) => x === 0);

describe('isZero', () => {
  it('short and long ranges, one non-zero byte anywhere (first, last, past a 64 KiB slice)', () => {
    for (const size of [0, 1, 15, 16, 64, 65, 4096, 64 * 1024, 64 * 1024 + 1, 200_001]) {
      const b = new Uint8Array(size);
      expect(isZero(b), `${size}`).toBe(true);
      for (const at of new Set([0, size >> 1, size - 1, 64 * 1024 - 1, 64 * 1024]).values()) {
        if (at < 0 || at >= size) continue;
        b[at] = 0x80;
        expect(isZero(b), `${size} @${at}`).toBe(false);
        b[at] = 0;
      }
    }
  });

  it('looks only inside the range given, at any alignment of the view', () => {
    const backing = new Uint8Array(300).fill(1);
    backing.fill(0, 3, 203);
    const view = backing.subarray(1, 299); // byteOffset 1: unaligned for any word view
    expect(isZero(view, 2, 200)).toBe(true);
    expect(isZero(view, 1, 200)).toBe(false);
    expect(isZero(view, 2, 201)).toBe(false);
    expect(isZero(view, 2, 16)).toBe(true);
    expect(isZero(view, 50, 0)).toBe(true);
  });

  it('refuses a range outside the array', () => {
    const b = new Uint8Array(16);
    expect(() => isZero(b, 10, 7)).toThrow(RangeError);
    expect(() => isZero(b, -1, 2)).toThrow(RangeError);
    expect(() => isZero(b, 17)).toThrow(RangeError);
  });

  it('agrees with the plain definition (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 7 }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 3 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        (size, shift, ones, a, b) => {
          const backing = new Uint8Array(size + shift);
          const bytes = backing.subarray(shift);
          for (const o of ones) if (o < size) bytes[o] = 1 + (o % 255);
          const offset = Math.min(a, size);
          const length = Math.min(b, size - offset);
          expect(isZero(bytes, offset, length)).toBe(naive(bytes, offset, length));
        },
      ),
      { numRuns: 500 },
    );
  });
});
