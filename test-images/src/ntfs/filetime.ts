/**
 * FILETIME helpers (100-ns intervals since 1601-01-01 UTC, MS-DTYP 2.3.3) and the 32-byte value of
 * ntfs-3g's `system.ntfs_times` extended attribute (ntfs-3g xattrs doc: four little-endian FILETIMEs in
 * the order creation, last write, last access, MFT change; ntfs-3g sets the MFT change time to "now"
 * whatever is given, so generators never claim it).
 */

/** FILETIME of the Unix epoch. */
export const UNIX_EPOCH_FILETIME = 116444736000000000n;

/**
 * FILETIME of an ISO-8601 UTC instant with optional 100-ns digits beyond the millisecond:
 * `filetime('1969-07-20T20:17:40Z', 1234)` adds 1234 × 100 ns.
 */
export function filetime(iso: string, extraTicks = 0): bigint {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad date ${iso}`);
  return UNIX_EPOCH_FILETIME + BigInt(ms) * 10000n + BigInt(extraTicks);
}

/** ISO-8601 rendering of a FILETIME with all seven fractional digits (`…T04:09:00.0000000Z`). */
export function filetimeToIso(ft: bigint): string {
  const rel = ft - UNIX_EPOCH_FILETIME;
  let ms = rel / 10000n;
  let ticks = rel % 10000n;
  if (ticks < 0n) {
    ticks += 10000n;
    ms -= 1n;
  }
  const base = new Date(Number(ms)).toISOString(); // yyyy-mm-ddThh:mm:ss.mmmZ
  return `${base.slice(0, 23)}${ticks.toString().padStart(4, '0')}Z`;
}

/** The three timestamps a generator sets (the fourth, MFT change, is always "now" under ntfs-3g). */
export interface NtfsTimes {
  creation: bigint;
  lastWrite: bigint;
  lastAccess: bigint;
}

/** Encodes `system.ntfs_times` (32 bytes); the MFT change slot repeats last write (ntfs-3g ignores it). */
export function encodeNtfsTimes(t: NtfsTimes): Uint8Array {
  const b = Buffer.alloc(32);
  b.writeBigUInt64LE(t.creation, 0);
  b.writeBigUInt64LE(t.lastWrite, 8);
  b.writeBigUInt64LE(t.lastAccess, 16);
  b.writeBigUInt64LE(t.lastWrite, 24);
  return new Uint8Array(b.buffer, b.byteOffset, 32);
}
