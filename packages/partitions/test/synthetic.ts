/**
 * In-memory disks for unit and mutation tests (oracle tests use sfdisk/sgdisk
 * images instead). Built from the layout tables, little-endian, CRCs computed.
 */
import { crc32, parseGuid } from '@coldfix/io';

export interface Rec { boot?: number; type: number; start: number; size: number }

/** Writes a boot record (MBR or EBR) at byte `at` of `disk`. */
export function writeBootRecord(disk: Uint8Array, at: number, records: Rec[], options: { signature?: boolean; diskSignature?: number } = {}): void {
  const v = new DataView(disk.buffer, disk.byteOffset + at, 512);
  if (options.diskSignature !== undefined) v.setUint32(440, options.diskSignature, true);
  records.forEach((r, i) => {
    const o = 446 + i * 16;
    v.setUint8(o, r.boot ?? 0);
    v.setUint8(o + 4, r.type);
    v.setUint32(o + 8, r.start, true);
    v.setUint32(o + 12, r.size, true);
  });
  if (options.signature !== false) {
    v.setUint8(510, 0x55);
    v.setUint8(511, 0xaa);
  }
}

/**
 * An MBR disk (512-byte sectors) with an extended partition at `extLba`
 * holding `logicals` (each [relative start in its EBR, size]); EBRs are
 * spaced `step` sectors apart.
 */
export function mbrDisk(sectors: number, logicals: Array<[number, number]>, extLba = 2048, step = 2048): Uint8Array {
  const disk = new Uint8Array(sectors * 512);
  const extSize = sectors - extLba;
  writeBootRecord(disk, 0, [{ boot: 0x80, type: 0x07, start: 63, size: extLba - 63 }, { type: 0x05, start: extLba, size: extSize }], { diskSignature: 0x12345678 });
  logicals.forEach(([rel, size], i) => {
    const ebr = extLba + i * step;
    const recs: Rec[] = [{ type: 0x83, start: rel, size }];
    if (i + 1 < logicals.length) recs.push({ type: 0x05, start: (i + 1) * step, size: step });
    writeBootRecord(disk, ebr * 512, recs);
  });
  return disk;
}

export interface GptPart { type: string; guid: string; first: number; last: number; name?: string; attributes?: bigint }

/** A GPT disk with protective MBR, primary and backup copies. */
export function gptDisk(sectorSize: 512 | 4096, sectors: number, parts: GptPart[], count = 128, entrySize = 128): Uint8Array {
  const disk = new Uint8Array(sectors * sectorSize);
  writeBootRecord(disk, 0, [{ type: 0xee, start: 1, size: Math.min(sectors - 1, 0xffffffff) }]);
  const array = new Uint8Array(count * entrySize);
  const av = new DataView(array.buffer);
  parts.forEach((p, i) => {
    const o = i * entrySize;
    array.set(parseGuid(p.type), o);
    array.set(parseGuid(p.guid), o + 16);
    av.setBigUint64(o + 32, BigInt(p.first), true);
    av.setBigUint64(o + 40, BigInt(p.last), true);
    av.setBigUint64(o + 48, p.attributes ?? 0n, true);
    [...(p.name ?? '')].forEach((c, k) => av.setUint16(o + 56 + k * 2, c.charCodeAt(0), true));
  });
  const arraySectors = Math.ceil(array.length / sectorSize);
  const last = sectors - 1;
  const write = (myLba: number, altLba: number, entryLba: number) => {
    disk.set(array, entryLba * sectorSize);
    const h = new Uint8Array(92);
    const v = new DataView(h.buffer);
    h.set(Buffer.from('EFI PART'), 0);
    v.setUint32(8, 0x10000, true);
    v.setUint32(12, 92, true);
    v.setBigUint64(24, BigInt(myLba), true);
    v.setBigUint64(32, BigInt(altLba), true);
    v.setBigUint64(40, BigInt(2 + arraySectors), true);
    v.setBigUint64(48, BigInt(last - 1 - arraySectors), true);
    h.set(parseGuid('11111111-2222-3333-4444-555555555555'), 56);
    v.setBigUint64(72, BigInt(entryLba), true);
    v.setUint32(80, count, true);
    v.setUint32(84, entrySize, true);
    v.setUint32(88, crc32(array), true);
    v.setUint32(16, crc32(h), true);
    disk.set(h, myLba * sectorSize);
  };
  write(1, last, 2);
  write(last, 1, last - arraySectors);
  return disk;
}

export const EFI = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';
export const BASIC = 'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7';
