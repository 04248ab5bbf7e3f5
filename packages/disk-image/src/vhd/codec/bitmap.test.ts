import { describe, expect, it } from 'vitest';
import { allSectorsSet, bitmapRuns, bitmapSizeFor, isSectorSet } from './bitmap.js';

describe('VHD sector bitmap', () => {
  it('pads to 512 bytes', () => {
    expect(bitmapSizeFor(2 << 20)).toBe(512);
    expect(bitmapSizeFor(4096)).toBe(512);
    expect(bitmapSizeFor(4 << 20)).toBe(1024);
  });
  it('is most significant bit first', () => {
    const b = Uint8Array.of(0x80, 0x01);
    expect(isSectorSet(b, 0)).toBe(true);
    expect(isSectorSet(b, 1)).toBe(false);
    expect(isSectorSet(b, 15)).toBe(true);
  });
  it('splits into runs', () => {
    const b = Uint8Array.of(0xf0, 0xff, 0x00, 0x01);
    expect(bitmapRuns(b, 0, 32)).toEqual([
      { sector: 0, count: 4, set: true },
      { sector: 4, count: 4, set: false },
      { sector: 8, count: 8, set: true },
      { sector: 16, count: 15, set: false },
      { sector: 31, count: 1, set: true },
    ]);
    expect(bitmapRuns(b, 6, 3)).toEqual([
      { sector: 6, count: 2, set: false },
      { sector: 8, count: 1, set: true },
    ]);
    expect(allSectorsSet(b, 8, 8)).toBe(true);
    expect(allSectorsSet(b, 7, 8)).toBe(false);
  });
});
