/**
 * Just enough of the NTFS MFT to find where a small file's data lives: the $MFT's own runlist
 * (record 0, which always starts at the boot sector's MFT LCN), one record by number, its
 * $FILE_NAME names and its unnamed, non-resident $DATA runlist.
 * References: libyal libfsntfs "New Technologies File System (NTFS)" document (MFT entry header:
 * signature "FILE", fixups, flags at 0x16 (0x01 in use), first attribute offset at 0x14; attribute
 * header: type, size, non-resident flag at 8, name length at 9, runlist offset at 0x20, data size
 * at 0x30; $FILE_NAME: parent reference, name length at 0x40, namespace at 0x41, UTF-16 name at 0x42).
 * Written for the BitLocker writer, which must find the clusters ntfs-3g gave the FVE2 files.
 */
import type { FileHandle } from 'node:fs/promises';
import { corrupt } from './errors.js';
import { applyFixups, decodeRunlist, type NtfsGeometry } from './ntfs-bitmap.js';

/** What one MFT record says about a file. */
export interface MftFileInfo {
  /** MFT record number. */
  record: number;
  inUse: boolean;
  /** Names from every $FILE_NAME attribute (all namespaces). */
  names: string[];
  /** Unnamed $DATA: resident or not, its data size in bytes, and runs [lcn (-1 sparse), clusters]. */
  data?: { resident: boolean; size: number; runs: [number, number][] };
  /** True when the record has an $ATTRIBUTE_LIST (attributes may live in other records). */
  hasAttributeList: boolean;
}

const MAX_RECORD = 2 ** 32;

/** Reads `length` bytes at byte `pos` of a non-sparse run list (clusters of `cs` bytes). */
async function readRuns(file: FileHandle, volumeOffset: number, runs: [number, number][], cs: number, pos: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  let vcnStart = 0;
  for (const [lcn, count] of runs) {
    const runBytes = count * cs;
    while (done < length && pos + done < vcnStart + runBytes) {
      if (lcn < 0) throw corrupt('BLW_MFT_SPARSE', '$MFT has a sparse run');
      const within = pos + done - vcnStart;
      const n = Math.min(length - done, runBytes - within);
      await file.read(out, done, n, volumeOffset + lcn * cs + within);
      done += n;
    }
    vcnStart += runBytes;
    if (done === length) return out;
  }
  throw corrupt('BLW_MFT_RANGE', `MFT byte ${pos} lies past the $MFT runlist`);
}

function parseRecord(rec: Uint8Array, record: number): MftFileInfo {
  applyFixups(rec, `record ${record}`);
  const v = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const info: MftFileInfo = { record, inUse: (v.getUint16(0x16, true) & 1) === 1, names: [], hasAttributeList: false };
  let at = v.getUint16(0x14, true);
  while (at + 16 <= rec.length) {
    const type = v.getUint32(at, true);
    if (type === 0xffffffff) break;
    const len = v.getUint32(at + 4, true);
    if (len < 16 || len % 8 || at + len > rec.length) throw corrupt('BLW_MFT_ATTRIBUTE', `MFT record ${record}: bad attribute length`);
    const nonResident = rec[at + 8] === 1;
    const nameLength = rec[at + 9];
    if (type === 0x20) info.hasAttributeList = true;
    if (type === 0x30 && !nonResident) {
      const valueOffset = at + v.getUint16(at + 0x14, true);
      const chars = rec[valueOffset + 0x40];
      if (valueOffset + 0x42 + chars * 2 > at + len) throw corrupt('BLW_MFT_FILENAME', `MFT record ${record}: $FILE_NAME overflows its attribute`);
      info.names.push(Buffer.from(rec.subarray(valueOffset + 0x42, valueOffset + 0x42 + chars * 2)).toString('utf16le'));
    }
    if (type === 0x80 && nameLength === 0) {
      if (nonResident) {
        const runsAt = at + v.getUint16(at + 0x20, true);
        if (runsAt >= at + len) throw corrupt('BLW_MFT_RUNLIST', `MFT record ${record}: runlist offset out of its attribute`);
        info.data = { resident: false, size: Number(v.getBigUint64(at + 0x30, true)), runs: decodeRunlist(rec, runsAt, at + len) };
      } else {
        info.data = { resident: true, size: v.getUint32(at + 0x10, true), runs: [] };
      }
    }
    at += len;
  }
  return info;
}

/**
 * Reads MFT record `record` of the NTFS volume at `volumeOffset` (bytes into `file`).
 * @throws CorruptError (BLW_MFT_*, BLW_BITMAP_*) for damaged records or runlists.
 */
export async function readMftFile(file: FileHandle, volumeOffset: number, g: NtfsGeometry, record: number): Promise<MftFileInfo> {
  if (!Number.isInteger(record) || record < 0 || record >= MAX_RECORD) throw corrupt('BLW_MFT_RANGE', `MFT record number ${record} out of range`);
  const rec0 = new Uint8Array(g.mftRecordSize);
  await file.read(rec0, 0, rec0.length, volumeOffset + g.mftLcn * g.clusterSize);
  const mft = parseRecord(rec0, 0);
  if (!mft.data || mft.data.resident || mft.data.runs.length === 0) throw corrupt('BLW_MFT_DATA', '$MFT has no non-resident $DATA');
  if ((record + 1) * g.mftRecordSize > mft.data.size) throw corrupt('BLW_MFT_RANGE', `MFT record ${record} lies past the $MFT's data size`);
  const rec = await readRuns(file, volumeOffset, mft.data.runs, g.clusterSize, record * g.mftRecordSize, g.mftRecordSize);
  return parseRecord(rec, record);
}
