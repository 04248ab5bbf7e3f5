/**
 * Pure decoding of one fixed-up MFT record into its header and attribute
 * records, each kept with its offset inside the record so a writer can patch
 * and re-encode it (libfsntfs "MFT entry"; ntfs-3g layout.h).
 */
import { viewOf } from '@coldfix/io';
import { corrupt } from '../errors.js';
import { FileRecordHeaderStruct, FileRecordFlag, type FileRecordHeaderFields } from '../layout/file-record-header.js';
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

function safe(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
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
  const header = FileRecordHeaderStruct.decode(bytes);
  const fix = applyFixups(bytes, header.usaOffset, header.usaCount);
  if (!fix.ok) throw corrupt('NTFS_RECORD_FIXUP', `MFT record ${recordNumber}: ${fix.problem}`, volumeOffset, { recordNumber });
  const anomalies: string[] = [];
  const used = Math.min(header.bytesInUse, bytes.length);
  if (header.bytesInUse > bytes.length) anomalies.push(`record ${recordNumber}: used size ${header.bytesInUse} > record size ${bytes.length}`);
  const base = decodeFileReference(header.baseRecordReference, 0);
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
      attributes.push(decodeAttribute(bytes.subarray(at, at + length), recordNumber, at));
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
  const v = viewOf(bytes);
  const type = v.getUint32(0, true);
  const nonResident = bytes[8] !== 0;
  const nameLength = bytes[9];
  const nameOffset = v.getUint16(10, true);
  const flags = v.getUint16(12, true);
  if (nameLength && nameOffset + nameLength * 2 > bytes.length) throw corrupt('NTFS_ATTRIBUTE_NAME', 'name overruns the attribute');
  let name = '';
  for (let i = 0; i < nameLength; i++) name += String.fromCharCode(v.getUint16(nameOffset + i * 2, true));
  const attribute: AttributeRecord = {
    type,
    typeName: attributeTypeName(type),
    name,
    id: v.getUint16(14, true),
    flags,
    recordNumber,
    offset,
    length: bytes.length,
    nonResident,
    compressed: (flags & AttributeFlag.compressionMask) !== 0,
    sparse: (flags & AttributeFlag.sparse) !== 0,
    encrypted: (flags & AttributeFlag.encrypted) !== 0,
  };
  if (!nonResident) {
    if (bytes.length < 0x18) throw corrupt('NTFS_ATTRIBUTE_RESIDENT', 'resident header truncated');
    const valueLength = v.getUint32(0x10, true);
    const valueOffset = v.getUint16(0x14, true);
    if (valueOffset + valueLength > bytes.length) throw corrupt('NTFS_ATTRIBUTE_VALUE', `resident value (${valueLength} bytes at ${valueOffset}) overruns the attribute`);
    attribute.value = bytes.subarray(valueOffset, valueOffset + valueLength);
    attribute.valueOffset = valueOffset;
    attribute.indexedFlag = bytes[0x16];
    return attribute;
  }
  if (bytes.length < 0x40) throw corrupt('NTFS_ATTRIBUTE_NONRESIDENT', 'non-resident header truncated');
  const lowestVcn = safe(v.getBigUint64(0x10, true));
  const highestVcn = Number(v.getBigInt64(0x18, true));
  const mappingPairsOffset = v.getUint16(0x20, true);
  attribute.lowestVcn = lowestVcn;
  attribute.highestVcn = highestVcn;
  attribute.mappingPairsOffset = mappingPairsOffset;
  attribute.compressionUnit = bytes[0x22];
  attribute.allocatedSize = safe(v.getBigUint64(0x28, true));
  attribute.dataSize = safe(v.getBigUint64(0x30, true));
  attribute.initializedSize = safe(v.getBigUint64(0x38, true));
  if (bytes[0x22] !== 0 && bytes.length >= 0x48 && mappingPairsOffset >= 0x48) attribute.compressedSize = safe(v.getBigUint64(0x40, true));
  if (mappingPairsOffset < 0x40 || mappingPairsOffset > bytes.length) {
    attribute.runs = [];
    attribute.runlistError = `mapping pairs offset ${mappingPairsOffset}`;
    return attribute;
  }
  try {
    attribute.runs = decodeRunlist(bytes.subarray(mappingPairsOffset), lowestVcn);
  } catch (error) {
    attribute.runs = [];
    attribute.runlistError = (error as Error).message;
  }
  return attribute;
}
