/**
 * Classifies a volume's first sector: BitLocker, NTFS, FAT or unknown.
 *
 * References:
 * - libyal libbde "BitLocker Drive Encryption (BDE) format" §"Volume header":
 *   Vista (`EB 52 90` + "-FVE-FS-"), Windows 7 and later (`EB 58 90` +
 *   "-FVE-FS-", BitLocker identifier GUID at 160), BitLocker To Go on FAT
 *   ("MSWIN4.1" at 3, BitLocker identifier GUID at 424 = 0x1A8). Identifiers:
 *   4967d63b-2e29-4ad8-8399-f6a339e3d001 (BitLocker, To Go) and
 *   92a84d3b-dd80-4d0e-9e4e-b1e3284eaed8 (used-disk-space-only encryption).
 * - Microsoft "FAT: General Overview of On-Disk Format" (fatgen103) §3: BPB
 *   fields and the BS_FilSysType strings at 0x36 (FAT12/16) and 0x52 (FAT32).
 * - NTFS: "NTFS    " OEM ID at 3 (libyal libfsntfs "NTFS" §2).
 */
import { decodeAscii, formatGuid, viewOf } from '@coldfix/io';
import type { ContentKind } from '../types.js';

export const BITLOCKER_SIGNATURE = '-FVE-FS-';
export const BITLOCKER_TO_GO_SIGNATURE = 'MSWIN4.1';
export const NTFS_SIGNATURE = 'NTFS    ';
/** Where the BitLocker identifier GUID sits in a To Go (FAT) volume header. */
export const TO_GO_GUID_OFFSET = 0x1a8;
export const BITLOCKER_IDENTIFIERS: ReadonlySet<string> = new Set([
  '4967d63b-2e29-4ad8-8399-f6a339e3d001',
  '92a84d3b-dd80-4d0e-9e4e-b1e3284eaed8',
]);

const ascii = (s: Uint8Array, at: number, n: number): string => decodeAscii(s.subarray(at, at + n)).padEnd(n, '\0');

/** True for sector signature 0x55 0xAA at 510. */
export function hasBootSignature(sector: Uint8Array): boolean {
  return sector.length >= 512 && sector[510] === 0x55 && sector[511] === 0xaa;
}

/** Classifies the first 512 bytes of a volume. Pure; never throws. */
export function classifyBootSector(sector: Uint8Array): ContentKind {
  if (sector.length < 512) return 'unknown';
  const oem = ascii(sector, 3, 8);
  if (oem === BITLOCKER_SIGNATURE) return 'bitlocker';
  if (oem === BITLOCKER_TO_GO_SIGNATURE && BITLOCKER_IDENTIFIERS.has(formatGuid(sector.subarray(TO_GO_GUID_OFFSET, TO_GO_GUID_OFFSET + 16)))) {
    return 'bitlocker';
  }
  if (oem === NTFS_SIGNATURE) return 'ntfs';
  if (isFatBootSector(sector)) return 'fat';
  return 'unknown';
}

/**
 * FAT12/16/32 boot sector: a BS_FilSysType string starting "FAT" next to its
 * extended boot signature 0x29, or a plausible BPB with the 0x55AA signature
 * (fatgen103 §3.1-3.3; the type string is informational, so both routes).
 * exFAT ("EXFAT   ", BPB zeroed) is deliberately not FAT.
 */
export function isFatBootSector(s: Uint8Array): boolean {
  if (s.length < 512) return false;
  if (ascii(s, 3, 8) === 'EXFAT   ') return false;
  const fat1216Type = s[0x26] === 0x29 && ascii(s, 0x36, 8).startsWith('FAT');
  const fat32Type = s[0x42] === 0x29 && ascii(s, 0x52, 8) === 'FAT32   ';
  return fat1216Type || fat32Type ? plausibleBpb(s, false) : hasBootSignature(s) && plausibleBpb(s, true);
}

function plausibleBpb(s: Uint8Array, strict: boolean): boolean {
  const v = viewOf(s);
  const jump = (s[0] === 0xeb && s[2] === 0x90) || s[0] === 0xe9;
  const bytesPerSector = v.getUint16(11, true);
  const sectorsPerCluster = s[13];
  const reserved = v.getUint16(14, true);
  const fats = s[16];
  const media = s[21];
  const total16 = v.getUint16(19, true);
  const total32 = v.getUint32(32, true);
  const fatSize16 = v.getUint16(22, true);
  const fatSize32 = v.getUint32(36, true);
  const pow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;
  const basic = [512, 1024, 2048, 4096].includes(bytesPerSector) && pow2(sectorsPerCluster) && reserved >= 1 && fats >= 1;
  if (!strict) return basic;
  return jump && basic && fats <= 4 && (media === 0xf0 || media >= 0xf8) && (total16 !== 0 || total32 !== 0) && (fatSize16 !== 0 || fatSize32 !== 0);
}
