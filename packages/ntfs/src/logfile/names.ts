/**
 * File names carried in log data: index entries of $I30 (their key is a
 * $FILE_NAME value) in the redo/undo data of index operations, and $FILE_NAME
 * attributes in the FILE records or attribute records that create operations
 * log. Bounded scans; names inside a journal are untrusted text.
 * Sources: libfsntfs "Index entry", "The file name attribute"; ntfs3 fslog.c.
 */
import { viewOf } from '@coldfix/io';
import { decodeUtf16Units } from '../codec/utf16.js';
import { NtfsLogOperation as O } from './operations.js';

export interface LoggedName { name: string; parentRecord: number; fileRecord: number | null }

const FILE_NAME = 0x30;
const MASK48 = 0xffffffffffffn;

/** The $FILE_NAME value at `at` (of `length` bytes), if it holds one. */
function fileNameAt(b: Uint8Array, at: number, length: number, fileRecord: number | null): LoggedName | null {
  if (length < 66 || at + 66 > b.length) return null;
  const units = b[at + 64];
  if (units === 0 || 66 + units * 2 > length || at + 66 + units * 2 > b.length || b[at + 65] > 3) return null;
  const parent = Number(viewOf(b).getBigUint64(at, true) & MASK48);
  return { name: decodeUtf16Units(b, at + 66, units), parentRecord: parent, fileRecord };
}

/** Index entries (file reference, length, key length, flags, key) from `at`, until the last entry. */
function indexEntries(b: Uint8Array, at: number): LoggedName[] {
  const out: LoggedName[] = [];
  const v = viewOf(b);
  for (let n = 0; n < 1024 && at + 16 <= b.length; n++) {
    const length = v.getUint16(at + 8, true);
    const keyLength = v.getUint16(at + 10, true);
    const flags = v.getUint16(at + 12, true);
    if (length < 16 || length % 8 || at + length > b.length) break;
    if (keyLength >= 66 && 16 + keyLength <= length) {
      const name = fileNameAt(b, at + 16, keyLength, Number(v.getBigUint64(at, true) & MASK48));
      if (name) out.push(name);
    }
    if (flags & 2) break;
    at += length;
  }
  return out;
}

/** Attribute records of a FILE record image, from the first attribute offset. */
function fileRecordNames(b: Uint8Array): LoggedName[] {
  if (b.length < 48 || b[0] !== 0x46 || b[1] !== 0x49 || b[2] !== 0x4c || b[3] !== 0x45) return [];
  return attributeRecordNames(b, viewOf(b).getUint16(20, true));
}

function attributeRecordNames(b: Uint8Array, at: number): LoggedName[] {
  const out: LoggedName[] = [];
  const v = viewOf(b);
  for (let n = 0; n < 256 && at + 24 <= b.length; n++) {
    const type = v.getUint32(at, true);
    if (type === 0xffffffff) break;
    const length = v.getUint32(at + 4, true);
    if (length < 24 || length % 8 || at + length > b.length) break;
    if (type === FILE_NAME && b[at + 8] === 0) {
      const valueLength = v.getUint32(at + 16, true);
      const valueOffset = v.getUint16(at + 20, true);
      if (valueOffset + valueLength <= length) {
        const name = fileNameAt(b, at + valueOffset, valueLength, null);
        if (name) out.push(name);
      }
    }
    at += length;
  }
  return out;
}

/** Names found in one redo or undo payload of operation `op`. */
export function namesInPayload(op: number, data: Uint8Array): LoggedName[] {
  if (data.length === 0) return [];
  switch (op) {
    case O.AddIndexEntryRoot: case O.DeleteIndexEntryRoot: case O.AddIndexEntryAllocation: case O.DeleteIndexEntryAllocation:
    case O.WriteEndOfIndexBuffer:
      return indexEntries(data, 0);
    case O.InitializeFileRecordSegment:
      return fileRecordNames(data);
    case O.CreateAttribute:
      return attributeRecordNames(data, 0);
    default:
      return [];
  }
}
