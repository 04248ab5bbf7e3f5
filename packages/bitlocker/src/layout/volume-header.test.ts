import { describe, expect, it } from 'vitest';
import { parseGuid } from '@coldfix/io';
import { BITLOCKER_EOW_GUID, BITLOCKER_GUID, decodeVolumeHeader, isBitLockerHeader } from './volume-header.js';

function sector(sig: string, bps = 512, spc = 8): Uint8Array {
  const s = new Uint8Array(512);
  for (let i = 0; i < sig.length; i++) s[3 + i] = sig.charCodeAt(i);
  s[0x0b] = bps & 0xff; s[0x0c] = bps >> 8; s[0x0d] = spc;
  s[0x1fe] = 0x55; s[0x1ff] = 0xaa;
  return s;
}
const u64 = (s: Uint8Array, at: number, v: number) => new DataView(s.buffer).setBigUint64(at, BigInt(v), true);

describe('BitLocker volume header', () => {
  it('Windows 7+: GUID at 0xa0 and three offsets at 0xb0', () => {
    const s = sector('-FVE-FS-');
    s.set(parseGuid(BITLOCKER_GUID), 0xa0);
    u64(s, 0xb0, 0x21f0000); u64(s, 0xb8, 0x2946000); u64(s, 0xc0, 0x309b000);
    expect(decodeVolumeHeader(s)).toEqual({ variant: 'windows7', identifier: BITLOCKER_GUID, bytesPerSector: 512, sectorsPerCluster: 8, metadataOffsets: [0x21f0000, 0x2946000, 0x309b000], eowOffsets: [] });
  });

  it('EOW GUID: two EOW information offsets follow at 0xc8', () => {
    const s = sector('-FVE-FS-');
    s.set(parseGuid(BITLOCKER_EOW_GUID), 0xa0);
    u64(s, 0xb0, 0x21f0000); u64(s, 0xc8, 0x1553a000); u64(s, 0xd0, 0x1553b000);
    expect(decodeVolumeHeader(s).eowOffsets).toEqual([0x1553a000, 0x1553b000]);
  });

  it('To Go: MSWIN4.1 with the GUID at 0x1a8 and offsets at 0x1b8', () => {
    const s = sector('MSWIN4.1', 512, 4);
    expect(isBitLockerHeader(s)).toBe(false); // a plain FAT volume
    s.set(parseGuid(BITLOCKER_GUID), 0x1a8);
    u64(s, 0x1b8, 0x100000);
    expect(isBitLockerHeader(s)).toBe(true);
    expect(decodeVolumeHeader(s)).toMatchObject({ variant: 'to-go', metadataOffsets: [0x100000] });
  });

  it('Vista: no GUID; the metadata LCN at 0x38 times the cluster size', () => {
    const s = sector('-FVE-FS-');
    u64(s, 0x38, 0x1574);
    expect(decodeVolumeHeader(s)).toMatchObject({ variant: 'vista', identifier: '', metadataOffsets: [0x1574000] });
  });

  it('rejects NTFS, short buffers and bad geometry with typed errors', () => {
    expect(isBitLockerHeader(sector('NTFS    '))).toBe(false);
    expect(isBitLockerHeader(new Uint8Array(100))).toBe(false);
    expect(() => decodeVolumeHeader(sector('NTFS    '))).toThrow(expect.objectContaining({ code: 'BITLOCKER_NOT_FVE' }));
    expect(() => decodeVolumeHeader(sector('-FVE-FS-', 520))).toThrow(expect.objectContaining({ code: 'BITLOCKER_BAD_GEOMETRY' }));
    expect(() => decodeVolumeHeader(sector('-FVE-FS-', 512, 0))).toThrow(expect.objectContaining({ code: 'BITLOCKER_BAD_GEOMETRY' }));
  });
});
