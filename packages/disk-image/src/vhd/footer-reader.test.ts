import { describe, expect, it } from 'vitest';
import { MemorySource } from '@coldfix/io';
import { computeVhdChecksum } from './codec/checksum.js';
import { decodeVhdFooter, readVhdFooter } from './footer-reader.js';

// The footer of dfvfs fat-differential.vhd (Windows 10), first 84 bytes; the rest is zero.
const FOOTER_HEX =
  '636f6e6563746978 00000002 00010000 0000000000000200 27198e1b 77696e20 000a0000 5769326b' +
  '0000000000400000 0000000000400000 0078 04 11 00000004 fffff02c f84f1636cd9e9041a69edcc2380e416a';
function footer(): Uint8Array {
  const b = new Uint8Array(512);
  b.set(Uint8Array.from(FOOTER_HEX.replace(/ /g, '').match(/../g)!.map((h) => parseInt(h, 16))));
  return b;
}

describe('VHD footer', () => {
  it('decodes a Windows differencing footer', () => {
    const f = decodeVhdFooter(footer(), 0);
    expect(f.diskTypeName).toBe('differencing');
    expect(f.currentSize).toBe(4n << 20n);
    expect(f.creatorApplication).toBe('win ');
    expect([f.cylinders, f.heads, f.sectorsPerTrack]).toEqual([120, 4, 17]);
    expect(f.uniqueId).toBe('f84f1636-cd9e-9041-a69e-dcc2380e416a');
    expect(computeVhdChecksum(footer(), 64)).toBe(0xfffff02c);
  });
  it('rejects a bad cookie and a bad checksum with typed errors naming the field', () => {
    const b = footer();
    b[0] = 0x43;
    expect(() => decodeVhdFooter(b, 0x1000)).toThrow(expect.objectContaining({ code: 'VHD_FOOTER_COOKIE', offset: 0x1000 }));
    const c = footer();
    c[100] = 1;
    expect(() => decodeVhdFooter(c, 0x1000)).toThrow(
      expect.objectContaining({ kind: 'corrupt', code: 'VHD_FOOTER_CHECKSUM', offset: 0x1040, details: expect.objectContaining({ field: 'checksum', actual: 0xfffff02c, expected: 0xfffff02b }) }),
    );
  });
  it('falls back to the copy at offset 0 for a dynamic or differencing disk, with an anomaly', async () => {
    const file = new Uint8Array(4096);
    file.set(footer(), 0);
    const found = await readVhdFooter(new MemorySource(file));
    expect(found.copy).toBe('start');
    expect(found.trailingOffset).toBe(4096 - 512);
    expect(found.anomalies[0]).toMatch(/trailing footer at 0xe00 is damaged/);
  });
  it('rejects a file smaller than a footer', async () => {
    await expect(readVhdFooter(new MemorySource(new Uint8Array(100)))).rejects.toMatchObject({ code: 'VHD_TRUNCATED' });
  });
});
