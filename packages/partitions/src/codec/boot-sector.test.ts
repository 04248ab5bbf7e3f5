import { describe, expect, it } from 'vitest';
import { parseGuid } from '@coldfix/io';
import { classifyBootSector } from './boot-sector.js';

function sector(oem: string, patch: (b: Uint8Array, v: DataView) => void = () => {}): Uint8Array {
  const b = new Uint8Array(512);
  b.set([0xeb, 0x58, 0x90]);
  for (let i = 0; i < 8; i++) b[3 + i] = oem.charCodeAt(i);
  b[510] = 0x55;
  b[511] = 0xaa;
  patch(b, new DataView(b.buffer));
  return b;
}
/** A FAT32 BPB (fatgen103 §3.1, §3.3). */
const fat32 = (b: Uint8Array, v: DataView) => {
  v.setUint16(11, 512, true); b[13] = 8; v.setUint16(14, 32, true); b[16] = 2; b[21] = 0xf8;
  v.setUint32(32, 131072, true); v.setUint32(36, 128, true); b[0x42] = 0x29; b.set(Buffer.from('FAT32   '), 0x52);
};

describe('classifyBootSector', () => {
  it('-FVE-FS- (Windows 7+ and Vista) → bitlocker', () => {
    expect(classifyBootSector(sector('-FVE-FS-'))).toBe('bitlocker');
    expect(classifyBootSector(sector('-FVE-FS-', (b) => b.set([0xeb, 0x52, 0x90])))).toBe('bitlocker');
  });
  it('To Go: MSWIN4.1 + a BitLocker identifier at 0x1A8 → bitlocker; without it → fat', () => {
    const togo = sector('MSWIN4.1', (b, v) => { fat32(b, v); b.set(parseGuid('4967d63b-2e29-4ad8-8399-f6a339e3d001'), 0x1a8); });
    expect(classifyBootSector(togo)).toBe('bitlocker');
    const eow = sector('MSWIN4.1', (b, v) => { fat32(b, v); b.set(parseGuid('92a84d3b-dd80-4d0e-9e4e-b1e3284eaed8'), 0x1a8); });
    expect(classifyBootSector(eow)).toBe('bitlocker');
    expect(classifyBootSector(sector('MSWIN4.1', fat32))).toBe('fat');
  });
  it('NTFS', () => expect(classifyBootSector(sector('NTFS    '))).toBe('ntfs'));
  it('FAT12/16 type string at 0x36', () => {
    const s = sector('mkfs.fat', (b, v) => { v.setUint16(11, 512, true); b[13] = 4; v.setUint16(14, 1, true); b[16] = 2; b[0x26] = 0x29; b.set(Buffer.from('FAT16   '), 0x36); });
    expect(classifyBootSector(s)).toBe('fat');
  });
  it('FAT BPB without type string but with 0x55AA', () => {
    expect(classifyBootSector(sector('MSDOS5.0', (b, v) => { fat32(b, v); b.fill(0, 0x52, 0x5a); }))).toBe('fat');
  });
  it('exFAT, zeros, an MBR, a BPB with bytes/sector 0 → unknown', () => {
    expect(classifyBootSector(sector('EXFAT   '))).toBe('unknown');
    expect(classifyBootSector(new Uint8Array(512))).toBe('unknown');
    expect(classifyBootSector(sector('MSDOS5.0', (b, v) => { fat32(b, v); v.setUint16(11, 0, true); }))).toBe('unknown');
    expect(classifyBootSector(new Uint8Array(100))).toBe('unknown');
  });
});
