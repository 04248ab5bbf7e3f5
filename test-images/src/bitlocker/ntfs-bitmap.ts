/**
 * Just enough NTFS to reserve room for BitLocker's metadata: the boot sector geometry,
 * MFT record 6 ($Bitmap) with its update-sequence fixups, its non-resident $DATA runlist,
 * and the cluster bitmap itself (bit i of byte i/8 = cluster i in use).
 * References: libyal libfsntfs "New Technologies File System (NTFS)" document
 * (boot sector, MFT entry header, fixups every 512 bytes, attribute header, data runs).
 * Windows reserves the same clusters by creating FVE2.{GUID} files in
 * "System Volume Information"; setting the bitmap bits is the test-writer's shortcut.
 */
import type { FileHandle } from 'node:fs/promises';
import { corrupt, unsupported } from './errors.js';

export interface NtfsGeometry {
  bytesPerSector: number;
  sectorsPerCluster: number;
  clusterSize: number;
  totalSectors: number;
  totalClusters: number;
  mftLcn: number;
  mftRecordSize: number;
  sectorsPerTrack: number;
  heads: number;
  hiddenSectors: number;
}

export function parseNtfsBootSector(b: Uint8Array): NtfsGeometry {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (Buffer.from(b.subarray(3, 11)).toString('latin1') !== 'NTFS    ') throw unsupported('BLW_NOT_NTFS', 'not an NTFS boot sector (OEM id is not "NTFS    ")');
  const bytesPerSector = v.getUint16(0x0b, true);
  const spcRaw = v.getUint8(0x0d);
  const sectorsPerCluster = spcRaw > 0x80 ? 2 ** (256 - spcRaw) : spcRaw;
  const totalSectors = Number(v.getBigUint64(0x28, true));
  const clusterSize = bytesPerSector * sectorsPerCluster;
  const recRaw = v.getInt8(0x40);
  const mftRecordSize = recRaw < 0 ? 2 ** -recRaw : recRaw * clusterSize;
  if (![512, 1024, 2048, 4096].includes(bytesPerSector) || sectorsPerCluster === 0 || mftRecordSize < 512 || mftRecordSize > 65536) {
    throw corrupt('BLW_NTFS_GEOMETRY', 'NTFS boot sector geometry out of range');
  }
  return {
    bytesPerSector, sectorsPerCluster, clusterSize, totalSectors,
    totalClusters: Math.floor(totalSectors / sectorsPerCluster),
    mftLcn: Number(v.getBigUint64(0x30, true)), mftRecordSize,
    sectorsPerTrack: v.getUint16(0x18, true), heads: v.getUint16(0x1a, true), hiddenSectors: v.getUint32(0x1c, true),
  };
}

/** Undoes the update-sequence fixups of an MFT record in place (every 512 bytes). */
export function applyFixups(rec: Uint8Array, what = '$Bitmap'): void {
  const v = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  if (Buffer.from(rec.subarray(0, 4)).toString('latin1') !== 'FILE') throw corrupt('BLW_BITMAP_RECORD', `${what} MFT record has no FILE signature`);
  const usaOffset = v.getUint16(4, true);
  const usaCount = v.getUint16(6, true);
  if (usaCount < 1 || usaOffset + usaCount * 2 > rec.length || (usaCount - 1) * 512 > rec.length) throw corrupt('BLW_BITMAP_FIXUP', `${what} MFT record: bad update sequence array`);
  for (let i = 1; i < usaCount; i++) {
    const end = i * 512 - 2;
    rec[end] = rec[usaOffset + i * 2];
    rec[end + 1] = rec[usaOffset + i * 2 + 1];
  }
}

/** Data runs as [lcn, clusterCount]; a sparse run has lcn -1. */
export function decodeRunlist(b: Uint8Array, at: number, end: number): [number, number][] {
  const runs: [number, number][] = [];
  let lcn = 0;
  while (at < end && b[at] !== 0) {
    const lenSize = b[at] & 0x0f;
    const offSize = b[at] >> 4;
    at++;
    if (lenSize === 0 || lenSize > 6 || offSize > 6 || at + lenSize + offSize > end) throw corrupt('BLW_BITMAP_RUNLIST', 'bad data run header');
    let length = 0;
    for (let i = 0; i < lenSize; i++) length += b[at + i] * 2 ** (8 * i);
    at += lenSize;
    if (offSize === 0) {
      runs.push([-1, length]);
      continue;
    }
    let delta = 0;
    for (let i = 0; i < offSize; i++) delta += b[at + i] * 2 ** (8 * i);
    if (b[at + offSize - 1] & 0x80) delta -= 2 ** (8 * offSize);
    at += offSize;
    lcn += delta;
    runs.push([lcn, length]);
  }
  return runs;
}

/** The cluster bitmap of the NTFS volume at `volumeOffset`, with the byte ranges it occupies. */
export class NtfsBitmap {
  private constructor(
    readonly geometry: NtfsGeometry,
    readonly bits: Uint8Array,
    private readonly extents: { volumeOffset: number; length: number }[],
  ) {}

  static async load(file: FileHandle, volumeOffset: number, geometry: NtfsGeometry): Promise<NtfsBitmap> {
    const g = geometry;
    const rec = new Uint8Array(g.mftRecordSize);
    await file.read(rec, 0, rec.length, volumeOffset + g.mftLcn * g.clusterSize + 6 * g.mftRecordSize);
    applyFixups(rec);
    const v = new DataView(rec.buffer);
    let at = v.getUint16(0x14, true);
    while (at + 16 <= rec.length) {
      const type = v.getUint32(at, true);
      if (type === 0xffffffff) break;
      const len = v.getUint32(at + 4, true);
      if (len < 16 || at + len > rec.length) break;
      if (type === 0x80 && rec[at + 9] === 0) {
        if (rec[at + 8] !== 1) throw unsupported('BLW_BITMAP_RESIDENT', 'resident $Bitmap data is not supported');
        const runs = decodeRunlist(rec, at + v.getUint16(at + 0x20, true), at + len);
        if (runs.some(([lcn]) => lcn < 0)) throw corrupt('BLW_BITMAP_RUNLIST', 'sparse run in $Bitmap');
        const dataSize = Number(v.getBigUint64(at + 0x30, true));
        if (dataSize * 8 < g.totalClusters || dataSize > 1 << 28) throw corrupt('BLW_BITMAP_SIZE', '$Bitmap size does not match the volume');
        const bits = new Uint8Array(dataSize);
        const extents: { volumeOffset: number; length: number }[] = [];
        let filled = 0;
        for (const [lcn, count] of runs) {
          const length = Math.min(count * g.clusterSize, dataSize - filled);
          if (length <= 0) break;
          await file.read(bits, filled, length, volumeOffset + lcn * g.clusterSize);
          extents.push({ volumeOffset: lcn * g.clusterSize, length });
          filled += length;
        }
        if (filled < dataSize) throw corrupt('BLW_BITMAP_RUNLIST', '$Bitmap runlist is shorter than its data');
        return new NtfsBitmap(g, bits, extents);
      }
      at += len;
    }
    throw corrupt('BLW_BITMAP_DATA', '$Bitmap has no unnamed $DATA attribute');
  }

  isFree(cluster: number): boolean {
    return (this.bits[cluster >> 3] & (1 << (cluster & 7))) === 0;
  }

  markUsed(first: number, count: number): void {
    for (let c = first; c < first + count; c++) this.bits[c >> 3] |= 1 << (c & 7);
  }

  /** First cluster of a free run of `count` clusters at or after `from` (wrapping), or -1. */
  findFreeRun(count: number, from: number): number {
    const total = this.geometry.totalClusters;
    const scan = (start: number, stop: number) => {
      let run = 0;
      for (let c = start; c < stop; c++) {
        run = this.isFree(c) ? run + 1 : 0;
        if (run === count) return c - count + 1;
      }
      return -1;
    };
    const hit = scan(from, total);
    return hit >= 0 ? hit : scan(1, Math.min(total, from + count));
  }

  /** Writes the bitmap back (plaintext, before encryption). */
  async save(file: FileHandle, volumeOffset: number): Promise<void> {
    let at = 0;
    for (const e of this.extents) {
      await file.write(this.bits, at, e.length, volumeOffset + e.volumeOffset);
      at += e.length;
    }
  }
}
