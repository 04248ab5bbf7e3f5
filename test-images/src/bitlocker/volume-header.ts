/**
 * The BitLocker volume header that replaces the NTFS boot sector (Windows 7 and later),
 * libbde format document "Volume header / BitLocker Windows 7 and later":
 *
 * | offset | size | value | description |
 * | 0x000 | 3 | EB 58 90 | jump (cryptsetup refuses EB 52 90, the Vista one) |
 * | 0x003 | 8 | "-FVE-FS-" | signature |
 * | 0x00b | 2 | | bytes per sector (dislocker and cryptsetup read it; 512 or 4096) |
 * | 0x00d | 1 | | sectors per cluster (copied from NTFS) |
 * | 0x015 | 1 | 0xf8 | media descriptor |
 * | 0x018 | 2 | | sectors per track (copied) |
 * | 0x01a | 2 | | heads (copied) |
 * | 0x01c | 4 | | hidden sectors (copied) |
 * | 0x024 | 4 | 0x1fe0 | FAT32 sectors per FAT |
 * | 0x030 | 2 | 1 | FAT32 FSInfo sector |
 * | 0x032 | 2 | 6 | FAT32 backup boot sector |
 * | 0x040 | 1 | 0x80 | drive number |
 * | 0x042 | 1 | 0x29 | extended boot signature |
 * | 0x047 | 11 | "NO NAME    " | label |
 * | 0x052 | 8 | "FAT32   " | file system type |
 * | 0x05a | 70 | | boot code (ours: cli; hlt; jmp $-1) |
 * | 0x0a0 | 16 | 4967d63b-2e29-4ad8-8399-f6a339e3d001 | BitLocker identifier |
 * | 0x0b0 | 8 x 3 | | FVE metadata block offsets (bytes from volume start) |
 * | 0x1fe | 2 | 55 AA | signature |
 */
import { parseGuid } from '@coldfix/io';

export const BITLOCKER_IDENTIFIER = '4967d63b-2e29-4ad8-8399-f6a339e3d001';

export interface VolumeHeaderInput {
  sectorSize: number;
  sectorsPerCluster: number;
  sectorsPerTrack: number;
  heads: number;
  hiddenSectors: number;
  metadataOffsets: number[];
}

/** One sector (`sectorSize` bytes) holding the BitLocker volume header. */
export function encodeVolumeHeader(h: VolumeHeaderInput): Uint8Array {
  const s = new Uint8Array(h.sectorSize);
  const v = new DataView(s.buffer);
  s.set([0xeb, 0x58, 0x90], 0);
  s.set(Buffer.from('-FVE-FS-', 'ascii'), 3);
  v.setUint16(0x0b, h.sectorSize, true);
  v.setUint8(0x0d, h.sectorsPerCluster);
  v.setUint8(0x15, 0xf8);
  v.setUint16(0x18, h.sectorsPerTrack, true);
  v.setUint16(0x1a, h.heads, true);
  v.setUint32(0x1c, h.hiddenSectors, true);
  v.setUint32(0x24, 0x1fe0, true);
  v.setUint16(0x30, 1, true);
  v.setUint16(0x32, 6, true);
  v.setUint8(0x40, 0x80);
  v.setUint8(0x42, 0x29);
  s.set(Buffer.from('NO NAME    FAT32   ', 'ascii'), 0x47);
  s.set([0xfa, 0xf4, 0xeb, 0xfd], 0x5a);
  s.set(parseGuid(BITLOCKER_IDENTIFIER), 0xa0);
  for (let i = 0; i < 3; i++) v.setBigUint64(0xb0 + i * 8, BigInt(h.metadataOffsets[i]), true);
  s[0x1fe] = 0x55;
  s[0x1ff] = 0xaa;
  return s;
}
