/**
 * $FILE_NAME (0x30), also the key of $I30 index entries (libfsntfs "The file
 * name attribute"; ntfs-3g layout.h FILE_NAME_ATTR).
 *
 *   0x00 parent reference u64 | 0x08 created | 0x10 modified | 0x18 MFT modified |
 *   0x20 accessed | 0x28 allocated size u64 | 0x30 data size u64 | 0x38 flags u32 |
 *   0x3C reparse tag / EA size u32 | 0x40 name length u8 (UTF-16 units) |
 *   0x41 namespace u8 | 0x42 name
 */
import { viewOf } from '@coldfix/io';
import { corrupt } from '../errors.js';
import { decodeFileReference } from '../codec/file-reference.js';
import { namespaceName, type NamespaceName } from './attribute-types.js';

export interface FileNameAttribute {
  parentRecordNumber: number;
  parentSequence: number;
  created: bigint;
  modified: bigint;
  mftModified: bigint;
  accessed: bigint;
  allocatedSize: number;
  /** Data size as cached in the name (may be stale for files Windows has open). */
  dataSize: number;
  flags: number;
  reparseTag: number;
  namespace: NamespaceName;
  name: string;
}

/** Little-endian u64 as a number, saturating at 2^53 - 1 (no BigInt on this hot path). */
function u64(v: DataView, at: number): number {
  const hi = v.getUint32(at + 4, true);
  return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + v.getUint32(at, true);
}

/** Decodes a $FILE_NAME value; throws CorruptError (NTFS_FN_*) if the name overruns it. */
export function decodeFileName(value: Uint8Array, offset?: number): FileNameAttribute {
  if (value.length < 0x42) throw corrupt('NTFS_FN_SHORT', `$FILE_NAME of ${value.length} bytes`, offset);
  const v = viewOf(value);
  const nameLength = value[0x40];
  if (0x42 + nameLength * 2 > value.length) throw corrupt('NTFS_FN_NAME', `name of ${nameLength} units overruns the ${value.length}-byte $FILE_NAME`, offset);
  const parent = decodeFileReference(value, 0);
  let name = '';
  for (let i = 0; i < nameLength; i++) name += String.fromCharCode(value[0x42 + i * 2] | (value[0x43 + i * 2] << 8));
  return {
    parentRecordNumber: parent.recordNumber,
    parentSequence: parent.sequence,
    created: v.getBigUint64(0x08, true),
    modified: v.getBigUint64(0x10, true),
    mftModified: v.getBigUint64(0x18, true),
    accessed: v.getBigUint64(0x20, true),
    allocatedSize: u64(v, 0x28),
    dataSize: u64(v, 0x30),
    flags: v.getUint32(0x38, true),
    reparseTag: v.getUint32(0x3c, true),
    namespace: namespaceName(value[0x41]),
    name,
  };
}
