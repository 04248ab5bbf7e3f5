/**
 * $ATTRIBUTE_LIST (0x20) entries (libfsntfs "The attribute list attribute";
 * ntfs-3g layout.h ATTR_LIST_ENTRY).
 *
 *   0x00 type u32 | 0x04 entry length u16 | 0x06 name length u8 | 0x07 name offset u8 |
 *   0x08 lowest VCN u64 | 0x10 file reference u64 | 0x18 attribute id u16 | name
 */
import { viewOf } from '@coldfix/io';
import { corrupt } from '../errors.js';
import { decodeFileReference } from '../codec/file-reference.js';

export interface AttributeListEntry {
  /** Offset of the entry inside the attribute list value. */
  offset: number;
  type: number;
  length: number;
  name: string;
  lowestVcn: number;
  recordNumber: number;
  sequence: number;
  attributeId: number;
}

/** Decodes every entry; throws CorruptError (NTFS_ATTRLIST_*) on a malformed one. */
export function decodeAttributeList(value: Uint8Array): AttributeListEntry[] {
  const v = viewOf(value);
  const entries: AttributeListEntry[] = [];
  let at = 0;
  while (at + 0x1a <= value.length) {
    const type = v.getUint32(at, true);
    const length = v.getUint16(at + 4, true);
    if (length < 0x1a || at + length > value.length || length % 8 !== 0) {
      if (type === 0 || type === 0xffffffff) break;
      throw corrupt('NTFS_ATTRLIST_LENGTH', `attribute list entry at ${at} has length ${length}`);
    }
    const nameLength = value[at + 6];
    const nameOffset = value[at + 7];
    if (nameLength && nameOffset + nameLength * 2 > length) throw corrupt('NTFS_ATTRLIST_NAME', `attribute list entry at ${at}: name overruns it`);
    let name = '';
    for (let i = 0; i < nameLength; i++) name += String.fromCharCode(v.getUint16(at + nameOffset + i * 2, true));
    const ref = decodeFileReference(value, at + 0x10);
    const lowest = v.getBigUint64(at + 8, true);
    entries.push({
      offset: at,
      type,
      length,
      name,
      lowestVcn: lowest > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(lowest),
      recordNumber: ref.recordNumber,
      sequence: ref.sequence,
      attributeId: v.getUint16(at + 0x18, true),
    });
    at += length;
  }
  return entries;
}
