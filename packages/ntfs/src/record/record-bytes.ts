/**
 * FILE record header and attribute-record walking, at byte level, for editing
 * records in place (the reader decodes them into objects; the writer needs
 * their exact offsets).
 *
 * References: NTFS documentation (Russon & Fledel, "FILE record", "Attribute
 * header"); libfsntfs documentation "MFT entry" (offsets below). Read, not copied.
 *
 * FILE record header (NTFS 3.1):
 *   0x00 4 "FILE" | 0x04 2 usa offset | 0x06 2 usa count | 0x08 8 $LogFile LSN
 *   0x10 2 sequence | 0x12 2 link count | 0x14 2 first attribute offset
 *   0x16 2 flags (0x1 in use, 0x2 directory) | 0x18 4 bytes in use | 0x1C 4 bytes allocated
 *   0x20 8 base record reference | 0x28 2 next attribute id | 0x2C 4 record number (3.1)
 */
import { CorruptError, viewOf } from '@coldfix/io';
import { decodeHeaderFast } from '../codec/decode-record.js';
import { decodeFileReference } from '../codec/file-reference.js';
import { AttributeType } from '../layout/attribute-types.js';
import { decodeFileName as decodeFileNameAttribute } from '../layout/file-name.js';
import { FileRecordFlag } from '../layout/file-record-header.js';
import { decodeRunlist, type Run } from '../codec/runlist.js';

/** Attribute type codes: the reader's table (layout/attribute-types.ts), under the write side's old name. */
export const AttrType = AttributeType;

/** Re-exported from @coldfix/io (callers and tests import it from here). */
export { viewOf };

export interface RecordHeader {
  sequence: number; linkCount: number; attrsOffset: number; flags: number; bytesInUse: number; bytesAllocated: number;
  baseRecord: number; baseSequence: number;
}

/** One attribute record inside a FILE record: offsets are relative to the record start. */
export interface AttrRecord {
  type: number; offset: number; length: number; nonResident: boolean; name: string; flags: number; instance: number;
  /** Resident only: value position and length. */
  valueOffset: number; valueLength: number;
  /** Non-resident only. */
  lowestVcn: number; highestVcn: number; runsOffset: number; allocatedSize: number; dataSize: number; initializedSize: number; compressionUnit: number;
}

const LAYER = 'ntfs-write';

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CorruptError(`64-bit field at 0x${at.toString(16)} exceeds 2^53`, { code: 'NTFS_FIELD_OVERFLOW', layer: LAYER });
  return Number(v);
}

/** Decodes the header of a FILE record whose fixups were removed. @throws CorruptError on a bad signature or sizes. */
export function decodeRecordHeader(rec: Uint8Array, recordNumber: number): RecordHeader {
  const v = viewOf(rec);
  if (v.getUint32(0, true) !== 0x454c4946) {
    throw new CorruptError(`MFT record ${recordNumber} has no FILE signature`, { code: 'NTFS_RECORD_BAD_SIGNATURE', layer: LAYER, details: { record: recordNumber } });
  }
  const f = decodeHeaderFast(rec);
  const base = decodeFileReference(rec, 0x20);
  const h: RecordHeader = {
    sequence: f.sequence, linkCount: f.linkCount, attrsOffset: f.firstAttributeOffset,
    flags: f.flags, bytesInUse: f.bytesInUse, bytesAllocated: f.bytesAllocated,
    baseRecord: base.recordNumber, baseSequence: base.sequence,
  };
  if (h.bytesAllocated !== rec.length || h.bytesInUse > rec.length || h.attrsOffset + 8 > h.bytesInUse || h.attrsOffset & 7) {
    throw new CorruptError(`MFT record ${recordNumber} header sizes are inconsistent`, { code: 'NTFS_RECORD_BAD_SIZES', layer: LAYER, details: { record: recordNumber, ...h } });
  }
  return h;
}

/** Lists the attribute records of a FILE record (fixups removed), bounded by bytes in use. */
export function listAttributes(rec: Uint8Array, recordNumber: number): AttrRecord[] {
  const h = decodeRecordHeader(rec, recordNumber);
  const v = viewOf(rec);
  const out: AttrRecord[] = [];
  let at = h.attrsOffset;
  while (at + 4 <= h.bytesInUse) {
    const type = v.getUint32(at, true);
    if (type === AttrType.end) return out;
    const length = at + 8 <= h.bytesInUse ? v.getUint32(at + 4, true) : 0;
    if (length < 0x18 || length & 7 || at + length > h.bytesInUse) {
      throw new CorruptError(`attribute 0x${type.toString(16)} at 0x${at.toString(16)} in MFT record ${recordNumber} has bad length ${length}`, {
        code: 'NTFS_ATTR_BAD_LENGTH', layer: LAYER, details: { record: recordNumber, at, length },
      });
    }
    const nonResident = rec[at + 8] !== 0;
    const nameLength = rec[at + 9];
    const nameOffset = v.getUint16(at + 0xa, true);
    if (nameLength && nameOffset + nameLength * 2 > length) throw new CorruptError('attribute name outside its record', { code: 'NTFS_ATTR_BAD_NAME', layer: LAYER, details: { record: recordNumber, at } });
    const name = nameLength ? String.fromCharCode(...new Uint16Array(rec.slice(at + nameOffset, at + nameOffset + nameLength * 2).buffer)) : '';
    const a: AttrRecord = {
      type, offset: at, length, nonResident, name, flags: v.getUint16(at + 0xc, true), instance: v.getUint16(at + 0xe, true),
      valueOffset: 0, valueLength: 0, lowestVcn: 0, highestVcn: -1, runsOffset: 0, allocatedSize: 0, dataSize: 0, initializedSize: 0, compressionUnit: 0,
    };
    if (!nonResident) {
      a.valueLength = v.getUint32(at + 0x10, true);
      a.valueOffset = v.getUint16(at + 0x14, true);
      if (a.valueOffset + a.valueLength > length) throw new CorruptError('resident value outside its attribute', { code: 'NTFS_ATTR_BAD_VALUE', layer: LAYER, details: { record: recordNumber, at } });
    } else {
      if (length < 0x40) throw new CorruptError('non-resident attribute too short', { code: 'NTFS_ATTR_BAD_LENGTH', layer: LAYER, details: { record: recordNumber, at } });
      a.lowestVcn = u64(v, at + 0x10);
      a.highestVcn = Number(v.getBigInt64(at + 0x18, true));
      a.runsOffset = v.getUint16(at + 0x20, true);
      a.compressionUnit = v.getUint16(at + 0x22, true);
      a.allocatedSize = u64(v, at + 0x28);
      a.dataSize = u64(v, at + 0x30);
      a.initializedSize = u64(v, at + 0x38);
      if (a.runsOffset >= length) throw new CorruptError('mapping pairs outside the attribute', { code: 'NTFS_ATTR_BAD_RUNS', layer: LAYER, details: { record: recordNumber, at } });
    }
    out.push(a);
    at += length;
  }
  throw new CorruptError(`MFT record ${recordNumber} has no end marker`, { code: 'NTFS_RECORD_NO_END', layer: LAYER, details: { record: recordNumber } });
}

/** The value bytes of a resident attribute (a view into `rec`). */
export function residentValue(rec: Uint8Array, a: AttrRecord): Uint8Array {
  return rec.subarray(a.offset + a.valueOffset, a.offset + a.valueOffset + a.valueLength);
}

/** The runs of a non-resident attribute extent. */
export function attributeRuns(rec: Uint8Array, a: AttrRecord): Run[] {
  return decodeRunlist(rec.subarray(a.offset + a.runsOffset, a.offset + a.length), a.lowestVcn);
}

/** Marks a FILE record free, as ntfs-3g's ntfs_mft_record_free and Windows do: in-use cleared, sequence advanced (0xFFFF wraps to 1, 0 stays 0). */
export function freeRecordInPlace(rec: Uint8Array): { oldSequence: number; newSequence: number } {
  const v = viewOf(rec);
  const oldSequence = v.getUint16(0x10, true);
  const newSequence = oldSequence === 0xffff ? 1 : oldSequence === 0 ? 0 : oldSequence + 1;
  v.setUint16(0x10, newSequence, true);
  v.setUint16(0x16, v.getUint16(0x16, true) & ~FileRecordFlag.inUse, true);
  v.setUint16(0x12, 0, true);
  return { oldSequence, newSequence };
}

/** Decodes a UTF-16LE name of `count` code units. */
export function utf16(bytes: Uint8Array, at: number, count: number): string {
  let s = '';
  for (let i = 0; i < count; i++) s += String.fromCharCode(bytes[at + 2 * i] | (bytes[at + 2 * i + 1] << 8));
  return s;
}

/** A $FILE_NAME value: parent reference, times, sizes, name. */
export interface FileNameValue {
  parentRecord: number; parentSequence: number; created: bigint; modified: bigint; mftModified: bigint; accessed: bigint;
  allocatedSize: number; dataSize: number; fileAttributes: number; namespace: number; name: string;
}

/**
 * Decodes a $FILE_NAME value (also the key of an $I30 index entry) through the
 * reader's layout/file-name.ts, mapped to the write side's field names.
 * The truncation check stays here so the error code and message stay the
 * write side's (the reader's checks are the same two conditions, so it never
 * throws after this one passes). The cached sizes are re-read without the
 * reader's 2^53 saturation: the checker reports them as stored.
 * @throws CorruptError NTFS_FILENAME_TRUNCATED when truncated.
 */
export function decodeFileName(value: Uint8Array): FileNameValue {
  if (value.length < 0x42 || value.length < 0x42 + value[0x40] * 2) {
    throw new CorruptError('$FILE_NAME value truncated', { code: 'NTFS_FILENAME_TRUNCATED', layer: LAYER, details: { length: value.length } });
  }
  const fn = decodeFileNameAttribute(value);
  const v = viewOf(value);
  return {
    parentRecord: fn.parentRecordNumber, parentSequence: fn.parentSequence,
    created: fn.created, modified: fn.modified, mftModified: fn.mftModified, accessed: fn.accessed,
    allocatedSize: Number(v.getBigUint64(0x28, true)), dataSize: Number(v.getBigUint64(0x30, true)), fileAttributes: fn.flags,
    namespace: value[0x41], name: fn.name,
  };
}
