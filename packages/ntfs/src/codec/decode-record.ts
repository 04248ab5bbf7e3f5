/**
 * Pure decoding of one fixed-up MFT record into its header and attribute
 * records, each kept with its offset inside the record so a writer can patch
 * and re-encode it (libfsntfs "MFT entry"; ntfs-3g layout.h).
 */
import { viewOf } from '@coldfix/io';
import { corrupt } from '../errors.js';
import { FileRecordFlag, type FileRecordHeaderFields } from '../layout/file-record-header.js';
import { attributeTypeName, AttributeFlag } from '../layout/attribute-types.js';
import { decodeFileReference } from './file-reference.js';
import { applyFixups } from './fixup.js';
import { decodeRunlist, type Run } from './runlist.js';

/** One attribute record as stored (one extent of a non-resident attribute). */
export interface AttributeRecord {
  type: number;
  typeName: string;
  name: string;
  /** Attribute id (unique per base record... but not across extension records). */
  id: number;
  flags: number;
  /** MFT record holding this attribute record (base or extension). */
  recordNumber: number;
  /** Byte offset of the attribute record inside its MFT record. */
  offset: number;
  /** Length of the attribute record in bytes. */
  length: number;
  nonResident: boolean;
  compressed: boolean;
  sparse: boolean;
  encrypted: boolean;
  /** Resident value (a view into the record buffer). */
  value?: Uint8Array;
  valueOffset?: number;
  indexedFlag?: number;
  lowestVcn?: number;
  highestVcn?: number;
  mappingPairsOffset?: number;
  compressionUnit?: number;
  /** Sizes in bytes; valid in the extent whose lowestVcn is 0. */
  allocatedSize?: number;
  dataSize?: number;
  initializedSize?: number;
  compressedSize?: number;
  /** Decoded runs of this extent. */
  runs?: Run[];
  /** Set when the runlist could not be decoded. */
  runlistError?: string;
}

export interface DecodedRecord {
  recordNumber: number;
  header: FileRecordHeaderFields;
  sequence: number;
  flags: number;
  inUse: boolean;
  isDirectory: boolean;
  linkCount: number;
  baseRecordNumber: number;
  baseSequence: number;
  attributes: AttributeRecord[];
  anomalies: string[];
}

/** True when the buffer starts with "FILE" (or "BAAD", a record chkdsk marked bad). */
export function hasRecordSignature(bytes: Uint8Array): boolean {
  return bytes[0] === 0x46 && bytes[1] === 0x49 && bytes[2] === 0x4c && bytes[3] === 0x45;
}

/**
 * Applies fixups to a raw record in place and decodes it. Throws CorruptError
 * (NTFS_RECORD_*) for a missing signature, broken fixups or a header that does
 * not fit; problems inside single attributes stop the attribute walk and are
 * reported in `anomalies`.
 */
export function decodeRecord(bytes: Uint8Array, recordNumber: number, volumeOffset?: number): DecodedRecord {
  if (!hasRecordSignature(bytes)) {
    throw corrupt('NTFS_RECORD_SIGNATURE', `MFT record ${recordNumber} has no FILE signature`, volumeOffset, { recordNumber });
  }
  const header = decodeHeaderFast(bytes);
  const fix = applyFixups(bytes, header.usaOffset, header.usaCount);
  if (!fix.ok) throw corrupt('NTFS_RECORD_FIXUP', `MFT record ${recordNumber}: ${fix.problem}`, volumeOffset, { recordNumber });
  const anomalies: string[] = [];
  const used = Math.min(header.bytesInUse, bytes.length);
  if (header.bytesInUse > bytes.length) anomalies.push(`record ${recordNumber}: used size ${header.bytesInUse} > record size ${bytes.length}`);
  const base = decodeFileReference(bytes, 0x20);
  const attributes: AttributeRecord[] = [];
  const v = viewOf(bytes);
  let at = header.firstAttributeOffset;
  if (at < 0x18 || at >= bytes.length) throw corrupt('NTFS_RECORD_FIRST_ATTRIBUTE', `MFT record ${recordNumber}: first attribute offset ${at}`, volumeOffset, { recordNumber });
  while (at + 4 <= used) {
    const type = v.getUint32(at, true);
    if (type === 0xffffffff) break;
    if (at + 16 > used) {
      anomalies.push(`record ${recordNumber}: attribute header at ${at} truncated`);
      break;
    }
    const length = v.getUint32(at + 4, true);
    if (length < 16 || length % 8 !== 0 || at + length > used) {
      anomalies.push(`record ${recordNumber}: attribute at ${at} (type 0x${type.toString(16)}) has length ${length}`);
      break;
    }
    try {
      attributes.push(decodeAttributeAt(bytes, v, at, length, recordNumber));
    } catch (error) {
      anomalies.push(`record ${recordNumber}: attribute at ${at}: ${(error as Error).message}`);
    }
    at += length;
  }
  return {
    recordNumber,
    header,
    sequence: header.sequence,
    flags: header.flags,
    inUse: (header.flags & FileRecordFlag.inUse) !== 0,
    isDirectory: (header.flags & FileRecordFlag.directory) !== 0,
    linkCount: header.linkCount,
    baseRecordNumber: base.recordNumber,
    baseSequence: base.sequence,
    attributes,
    anomalies,
  };
}

/** Decodes one attribute record (bytes = exactly the record, `offset` = its offset in the MFT record). */
export function decodeAttribute(bytes: Uint8Array, recordNumber: number, offset: number): AttributeRecord {
  const attribute = decodeAttributeAt(bytes, viewOf(bytes), 0, bytes.length, recordNumber);
  attribute.offset = offset;
  return attribute;
}

const u16 = (b: Uint8Array, at: number): number => b[at] | (b[at + 1] << 8);
const u32 = (b: Uint8Array, at: number): number => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
/** Little-endian u64 as a number, saturating at 2^53 - 1 (sizes and VCNs; values that large are corrupt anyway). */
const u64 = (b: Uint8Array, at: number): number => {
  const hi = u32(b, at + 4);
  return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + u32(b, at);
};

/** Decodes the attribute record at `at` (length `length`) inside a record buffer. Hot path: no per-attribute DataView. */
export function decodeAttributeAt(bytes: Uint8Array, view: DataView, at: number, length: number, recordNumber: number): AttributeRecord {
  const end = at + length;
  const type = u32(bytes, at);
  const nonResident = bytes[at + 8] !== 0;
  const nameLength = bytes[at + 9];
  const nameOffset = u16(bytes, at + 10);
  const flags = u16(bytes, at + 12);
  if (nameLength && nameOffset + nameLength * 2 > length) throw corrupt('NTFS_ATTRIBUTE_NAME', 'name overruns the attribute');
  let name = '';
  for (let i = 0; i < nameLength; i++) name += String.fromCharCode(u16(bytes, at + nameOffset + i * 2));
  const attribute: AttributeRecord = {
    type,
    typeName: attributeTypeName(type),
    name,
    id: u16(bytes, at + 14),
    flags,
    recordNumber,
    offset: at,
    length,
    nonResident,
    compressed: (flags & AttributeFlag.compressionMask) !== 0,
    sparse: (flags & AttributeFlag.sparse) !== 0,
    encrypted: (flags & AttributeFlag.encrypted) !== 0,
  };
  if (!nonResident) {
    if (length < 0x18) throw corrupt('NTFS_ATTRIBUTE_RESIDENT', 'resident header truncated');
    const valueLength = u32(bytes, at + 0x10);
    const valueOffset = u16(bytes, at + 0x14);
    if (valueOffset + valueLength > length) throw corrupt('NTFS_ATTRIBUTE_VALUE', `resident value (${valueLength} bytes at ${valueOffset}) overruns the attribute`);
    attribute.value = bytes.subarray(at + valueOffset, at + valueOffset + valueLength);
    attribute.valueOffset = valueOffset;
    attribute.indexedFlag = bytes[at + 0x16];
    return attribute;
  }
  if (length < 0x40) throw corrupt('NTFS_ATTRIBUTE_NONRESIDENT', 'non-resident header truncated');
  const lowestVcn = u64(bytes, at + 0x10);
  const highestVcn = Number(view.getBigInt64(at + 0x18, true));
  const mappingPairsOffset = u16(bytes, at + 0x20);
  attribute.lowestVcn = lowestVcn;
  attribute.highestVcn = highestVcn;
  attribute.mappingPairsOffset = mappingPairsOffset;
  attribute.compressionUnit = bytes[at + 0x22];
  attribute.allocatedSize = u64(bytes, at + 0x28);
  attribute.dataSize = u64(bytes, at + 0x30);
  attribute.initializedSize = u64(bytes, at + 0x38);
  if (bytes[at + 0x22] !== 0 && length >= 0x48 && mappingPairsOffset >= 0x48) attribute.compressedSize = u64(bytes, at + 0x40);
  if (mappingPairsOffset < 0x40 || mappingPairsOffset > length) {
    attribute.runs = [];
    attribute.runlistError = `mapping pairs offset ${mappingPairsOffset}`;
    return attribute;
  }
  try {
    attribute.runs = decodeRunlist(bytes.subarray(at + mappingPairsOffset, end), lowestVcn);
  } catch (error) {
    attribute.runs = [];
    attribute.runlistError = (error as Error).message;
  }
  return attribute;
}

/**
 * The FILE record header without the generic struct machinery (same fields as
 * FileRecordHeaderStruct; hot path, also used by the write side's raw layer).
 * Checks nothing: the caller has checked the signature, and `b` holds at least
 * 0x30 bytes (a whole record).
 */
export function decodeHeaderFast(b: Uint8Array): FileRecordHeaderFields {
  return {
    signature: 'FILE',
    usaOffset: u16(b, 4),
    usaCount: u16(b, 6),
    lsn: viewOf(b).getBigUint64(8, true),
    sequence: u16(b, 0x10),
    linkCount: u16(b, 0x12),
    firstAttributeOffset: u16(b, 0x14),
    flags: u16(b, 0x16),
    bytesInUse: u32(b, 0x18),
    bytesAllocated: u32(b, 0x1c),
    baseRecordReference: b.subarray(0x20, 0x28),
    nextAttributeId: u16(b, 0x28),
    reserved: u16(b, 0x2a),
    recordNumber: u32(b, 0x2c),
  };
}
