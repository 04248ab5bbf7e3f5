/**
 * USN_RECORD_V2 encoding for $UsnJrnl:$J.
 *
 * References: Microsoft docs "USN_RECORD_V2 structure" (winioctl.h); libyal
 * libfusn documentation "USN change journal record". Read, not copied.
 *
 *   0 record length (4) | 4 major 2 (2) | 6 minor 0 (2) | 8 file reference (8) | 16 parent reference (8)
 *   24 USN (8) | 32 timestamp FILETIME (8) | 40 reason (4) | 44 source info (4) | 48 security id (4)
 *   52 file attributes (4) | 56 name length in bytes (2) | 58 name offset = 60 (2) | 60 name UTF-16LE, padded to 8
 */
export const UsnReason = { fileDelete: 0x00000200, hardLinkChange: 0x00010000, close: 0x80000000 } as const;

export interface UsnRecordFields {
  fileReference: bigint; parentReference: bigint; usn: bigint; timestamp: bigint; reason: number;
  sourceInfo?: number; securityId?: number; fileAttributes: number; name: string;
}

/** Encodes one USN_RECORD_V2 (length rounded up to 8 bytes). */
export function encodeUsnRecordV2(r: UsnRecordFields): Uint8Array {
  const nameBytes = r.name.length * 2;
  const length = (60 + nameBytes + 7) & ~7;
  const out = new Uint8Array(length);
  const v = new DataView(out.buffer);
  v.setUint32(0, length, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 0, true);
  v.setBigUint64(8, r.fileReference, true);
  v.setBigUint64(16, r.parentReference, true);
  v.setBigInt64(24, r.usn, true);
  v.setBigInt64(32, r.timestamp, true);
  v.setUint32(40, r.reason >>> 0, true);
  v.setUint32(44, r.sourceInfo ?? 0, true);
  v.setUint32(48, r.securityId ?? 0, true);
  v.setUint32(52, r.fileAttributes >>> 0, true);
  v.setUint16(56, nameBytes, true);
  v.setUint16(58, 60, true);
  for (let i = 0; i < r.name.length; i++) v.setUint16(60 + 2 * i, r.name.charCodeAt(i), true);
  return out;
}

/** Decodes a USN_RECORD_V2 at `at` (for tests and the checker). Returns null when no valid record starts there. */
export function decodeUsnRecordV2(b: Uint8Array, at = 0): (UsnRecordFields & { length: number }) | null {
  if (at + 60 > b.length) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const length = v.getUint32(at, true);
  if (length < 60 || length & 7 || at + length > b.length || v.getUint16(at + 4, true) !== 2) return null;
  const nameLength = v.getUint16(at + 56, true);
  const nameOffset = v.getUint16(at + 58, true);
  if (nameOffset + nameLength > length) return null;
  let name = '';
  for (let i = 0; i < nameLength / 2; i++) name += String.fromCharCode(v.getUint16(at + nameOffset + 2 * i, true));
  return {
    length, fileReference: v.getBigUint64(at + 8, true), parentReference: v.getBigUint64(at + 16, true), usn: v.getBigInt64(at + 24, true),
    timestamp: v.getBigInt64(at + 32, true), reason: v.getUint32(at + 40, true), sourceInfo: v.getUint32(at + 44, true),
    securityId: v.getUint32(at + 48, true), fileAttributes: v.getUint32(at + 52, true), name,
  };
}
