import { describe, expect, it } from 'vitest';
import { encodeNtfsTimes, filetime, filetimeToIso, UNIX_EPOCH_FILETIME } from '../src/ntfs/filetime.js';

describe('FILETIME helpers', () => {
  it('matches known values (MS-DTYP 2.3.3: 1601 epoch, 100 ns)', () => {
    expect(filetime('1970-01-01T00:00:00Z')).toBe(UNIX_EPOCH_FILETIME);
    expect(filetime('1601-01-01T00:00:00Z')).toBe(0n);
    // 2024-07-19T04:09:00Z = 1721362140 s after the Unix epoch.
    expect(filetime('2024-07-19T04:09:00Z', 1)).toBe(UNIX_EPOCH_FILETIME + 17213621400000000n + 1n);
  });

  it('round-trips with 7 fractional digits, before and after 1970', () => {
    for (const [iso, ticks] of [['2024-07-19T04:09:12.345Z', 6789], ['1969-07-20T20:17:40.000Z', 1234], ['1960-01-01T00:00:00.999Z', 9999]] as const) {
      const ft = filetime(iso, ticks);
      expect(filetimeToIso(ft)).toBe(`${iso.slice(0, 23)}${String(ticks).padStart(4, '0')}Z`);
    }
  });

  it('encodes system.ntfs_times as 4 little-endian FILETIMEs', () => {
    const b = Buffer.from(encodeNtfsTimes({ creation: 1n, lastWrite: 2n, lastAccess: 3n }));
    expect(b.length).toBe(32);
    expect([0, 8, 16, 24].map((o) => b.readBigUInt64LE(o))).toEqual([1n, 2n, 3n, 2n]);
  });

  it('rejects a bad date', () => {
    expect(() => filetime('not a date')).toThrow();
  });
});
