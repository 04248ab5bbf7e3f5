import { describe, expect, it } from 'vitest';
import { applyFixups, removeFixups } from '../codec/block-fixup.js';
import { decodeRunlist } from '../codec/runlist.js';
import { freeRecordInPlace } from '../record/record-bytes.js';
import { decodeUsnRecordV2, encodeUsnRecordV2, UsnReason } from './usn-record.js';
import { compareNames, compareNamesIgnoreCase, compareUlongs, toUnits } from './collation.js';
import { UpcaseTable } from '../codec/upcase.js';
import fc from 'fast-check';
import { BitmapEditor } from './txn.js';

function block(size: number, usn: number): Uint8Array {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint16(4, 0x30, true);
  v.setUint16(6, size / 512 + 1, true);
  v.setUint16(0x30, usn, true);
  for (let i = 0x40; i < size; i++) b[i] = (i * 7) & 0xff;
  return b;
}

describe('fixups on write', () => {
  it('advances the USN, stamps every sector tail and restores on read', () => {
    const b = block(1024, 7);
    const plain = b.slice();
    expect(applyFixups(b, 512)).toBe(8);
    expect(new DataView(b.buffer).getUint16(510, true)).toBe(8);
    expect(new DataView(b.buffer).getUint16(1022, true)).toBe(8);
    removeFixups(b, 512);
    expect(b.subarray(0x40)).toEqual(plain.subarray(0x40));
  });
  it('wraps 0xFFFE to 1, skipping 0xFFFF and 0 (as ntfs-3g)', () => {
    const b = block(1024, 0xfffe);
    expect(applyFixups(b, 512)).toBe(1);
  });
  it('detects a torn sector', () => {
    const b = block(1024, 3);
    applyFixups(b, 512);
    b[1023] ^= 1;
    expect(() => removeFixups(b, 512)).toThrow(expect.objectContaining({ code: 'NTFS_FIXUP_MISMATCH' }));
  });
  it('protects a 4096-byte block (4Kn volume) every 512 bytes with a 9-entry array, as mkntfs -s 4096 writes', () => {
    const b = block(4096, 1);
    const plain = b.slice();
    applyFixups(b, 512);
    for (let tail = 510; tail < 4096; tail += 512) expect(new DataView(b.buffer).getUint16(tail, true)).toBe(2);
    b[2047] ^= 1;
    const torn = b.slice();
    expect(() => removeFixups(b, 512, 1000)).toThrow(expect.objectContaining({ code: 'NTFS_FIXUP_MISMATCH', offset: 1000 + 2046 }));
    expect(b).toEqual(torn); // left as read
    b[2047] ^= 1;
    removeFixups(b, 512);
    expect(b.subarray(0x42)).toEqual(plain.subarray(0x42)); // the 9-entry array ends at 0x42
    // A sector-sized stride is not NTFS's: refused rather than misapplied.
    expect(() => applyFixups(block(4096, 1), 4096)).toThrow(expect.objectContaining({ code: 'NTFS_FIXUP_BAD_USA' }));
  });
});

describe('record freeing', () => {
  it('clears in-use, advances the sequence (0xFFFF → 1) and zeroes the link count', () => {
    const r = new Uint8Array(1024);
    const v = new DataView(r.buffer);
    v.setUint16(0x10, 0xffff, true);
    v.setUint16(0x12, 2, true);
    v.setUint16(0x16, 1, true);
    expect(freeRecordInPlace(r)).toEqual({ oldSequence: 0xffff, newSequence: 1 });
    expect(v.getUint16(0x16, true)).toBe(0);
    expect(v.getUint16(0x12, true)).toBe(0);
  });
});

describe('runlists', () => {
  it('decodes sparse runs and negative deltas', () => {
    // 0x21 len 0x10 lcn 0x100 | 0x01 len 8 sparse | 0x21 len 4 delta -0x80
    const bytes = Uint8Array.of(0x21, 0x10, 0x00, 0x01, 0x01, 0x08, 0x21, 0x04, 0x80, 0xff, 0x00);
    expect(decodeRunlist(bytes, 0)).toEqual([
      { vcn: 0, lcn: 0x100, length: 0x10 },
      { vcn: 0x10, lcn: null, length: 8 },
      { vcn: 0x18, lcn: 0x80, length: 4 },
    ]);
  });
  it('rejects a truncated pair', () => {
    expect(() => decodeRunlist(Uint8Array.of(0x33, 1), 0)).toThrow(expect.objectContaining({ code: 'NTFS_RUNLIST_TRUNCATED' }));
  });
});

describe('USN_RECORD_V2', () => {
  it('encodes the Microsoft layout and decodes back', () => {
    const rec = encodeUsnRecordV2({ fileReference: 0x0002000000000040n, parentReference: 0x0005000000000005n, usn: 0x1000n, timestamp: 133000000000000000n, reason: UsnReason.fileDelete | UsnReason.close, fileAttributes: 0x20, name: 'a.txt' });
    expect(rec.length).toBe(72);
    const v = new DataView(rec.buffer);
    expect([v.getUint32(0, true), v.getUint16(4, true), v.getUint16(58, true), v.getUint16(56, true)]).toEqual([72, 2, 60, 10]);
    expect(v.getUint32(40, true)).toBe(0x80000200);
    expect(decodeUsnRecordV2(rec)).toMatchObject({ name: 'a.txt', usn: 0x1000n, reason: 0x80000200, length: 72 });
  });
});

describe('collation', () => {
  const upcase = new Uint16Array(65536).map((_, i) => (i >= 0x61 && i <= 0x7a ? i - 32 : i));
  it('orders file names through $UpCase, shorter first, case as a tie-breaker', () => {
    expect(compareNames(toUnits('abc'), toUnits('ABD'), upcase)).toBeLessThan(0);
    expect(compareNames(toUnits('ab'), toUnits('ABC'), upcase)).toBeLessThan(0);
    expect(compareNames(toUnits('_'), toUnits('a'), upcase)).toBeGreaterThan(0); // '_' 0x5F > 'A' 0x41 once upcased
  });
  it('orders NTOFS keys as little-endian 32-bit words', () => {
    expect(compareUlongs(Uint8Array.of(0, 1, 0, 0), Uint8Array.of(0xff, 0, 0, 0))).toBeGreaterThan(0);
  });
});

describe('BitmapEditor', () => {
  it('clears bits across bytes and counts how many were set', async () => {
    const bytes = Uint8Array.of(0xff, 0x0f, 0xff);
    const vol = { readStream: async (_r: unknown, o: number, l: number) => bytes.slice(o, o + l), streamPieces: () => [{ device: 100, length: 3 }] };
    const ed = new BitmapEditor('t', vol as never, [], 3);
    expect(await ed.clear(4, 12)).toBe(8);
    expect([...ed.writes()[0].data]).toEqual([0x0f, 0x00]);
  });
});

describe('compareNamesIgnoreCase', () => {
  it('has the sign of UpcaseTable.compareIgnoreCase on the same names (full and short tables)', () => {
    const full = new Uint16Array(65536).map((_, i) => (i >= 0x61 && i <= 0x7a ? i - 32 : i === 0xe9 ? 0xc9 : i));
    const short = full.slice(0, 0x80);
    const unit = fc.constantFrom(0x41, 0x5a, 0x61, 0x7a, 0x5f, 0x31, 0xe9, 0xc9, 0x3a9, 0xffff);
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 6 }), fc.array(unit, { maxLength: 6 }), (a, b) => {
        const reference = Math.sign(new UpcaseTable(full).compareIgnoreCase(String.fromCharCode(...a), String.fromCharCode(...b)));
        expect(Math.sign(compareNamesIgnoreCase(Uint16Array.from(a), Uint16Array.from(b), full))).toBe(reference);
        // A short table maps the units past its end to themselves (here: the same as `full` above 0x7f except 0xe9).
        const shortRef = Math.sign(new UpcaseTable(Uint16Array.from({ length: 65536 }, (_, i) => (i < 0x80 ? full[i] : i))).compareIgnoreCase(String.fromCharCode(...a), String.fromCharCode(...b)));
        expect(Math.sign(compareNamesIgnoreCase(Uint16Array.from(a), Uint16Array.from(b), short))).toBe(shortRef);
      }),
      { numRuns: 500 },
    );
  });
});
