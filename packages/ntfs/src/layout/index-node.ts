/**
 * Index structures shared by $INDEX_ROOT and INDX blocks (libfsntfs "Index
 * root", "Index node header", "Index entry"; ntfs-3g layout.h INDEX_ROOT,
 * INDEX_HEADER, INDEX_BLOCK, INDEX_ENTRY).
 *
 *   $INDEX_ROOT value: 0x00 indexed attribute type u32 | 0x04 collation rule u32 |
 *                      0x08 index block size u32 | 0x0C clusters per block u8 | 0x10 node header
 *   INDX block:        "INDX" | usa offset | usa count | LSN u64 | VCN u64 (0x10) | node header at 0x18
 *   node header:       0x00 entries offset u32 | 0x04 used size u32 | 0x08 allocated size u32 | 0x0C flags (1 = has sub-nodes)
 *                      (offsets relative to the node header)
 *   index entry:       0x00 file reference u64 | 0x08 length u16 | 0x0A key length u16 |
 *                      0x0C flags u16 (1 = sub-node, 2 = last) | 0x10 key | sub-node VCN u64 in the last 8 bytes
 */
import { viewOf } from '@coldfix/io';
import { corrupt } from '../errors.js';
import { decodeFileReference } from '../codec/file-reference.js';
import { decodeFileName, type FileNameAttribute } from './file-name.js';

export const IndexEntryFlag = { hasSubnode: 0x1, last: 0x2 } as const;
export const IndexNodeFlag = { hasChildren: 0x1 } as const;
export const CollationRule = { binary: 0, fileName: 1, unicodeString: 2, ntofsUlong: 0x10, ntofsSid: 0x11, ntofsSecurityHash: 0x12, ntofsUlongs: 0x13 } as const;

export interface IndexRoot {
  attributeType: number;
  collationRule: number;
  indexBlockSize: number;
  clustersPerIndexBlock: number;
  node: IndexNodeHeader;
}

export interface IndexNodeHeader {
  /** Offset of the node header inside its buffer (0x10 in a root value, 0x18 in an INDX block). */
  headerOffset: number;
  entriesOffset: number;
  usedSize: number;
  allocatedSize: number;
  flags: number;
}

export interface IndexEntry {
  /** Offset of the entry inside its buffer (root value or fixed-up INDX block). */
  offset: number;
  recordNumber: number;
  sequence: number;
  length: number;
  keyLength: number;
  flags: number;
  /** Sub-node VCN when flags has 1. */
  subnodeVcn: number | null;
  isLast: boolean;
  /** Decoded key for $I30 ($FILE_NAME); undefined for other indexes or the last entry. */
  fileName?: FileNameAttribute;
  key: Uint8Array;
}

export function decodeNodeHeader(bytes: Uint8Array, at: number, where?: number): IndexNodeHeader {
  if (at + 16 > bytes.length) throw corrupt('NTFS_INDEX_HEADER', 'index node header truncated', where);
  const v = viewOf(bytes);
  return {
    headerOffset: at,
    entriesOffset: v.getUint32(at, true),
    usedSize: v.getUint32(at + 4, true),
    allocatedSize: v.getUint32(at + 8, true),
    flags: bytes[at + 12],
  };
}

export function decodeIndexRoot(value: Uint8Array, where?: number): IndexRoot {
  if (value.length < 0x20) throw corrupt('NTFS_INDEX_ROOT_SHORT', `$INDEX_ROOT of ${value.length} bytes`, where);
  const v = viewOf(value);
  return {
    attributeType: v.getUint32(0, true),
    collationRule: v.getUint32(4, true),
    indexBlockSize: v.getUint32(8, true),
    clustersPerIndexBlock: value[12],
    node: decodeNodeHeader(value, 0x10, where),
  };
}

/**
 * Decodes the entries of one node (root value or fixed-up INDX block), up to
 * and including the last-entry marker. Throws CorruptError (NTFS_INDEX_ENTRY*)
 * when an entry leaves the node's used area. `fileNameKeys` decodes $I30 keys.
 */
export function decodeIndexEntries(bytes: Uint8Array, header: IndexNodeHeader, fileNameKeys: boolean, where?: number): IndexEntry[] {
  const v = viewOf(bytes);
  const start = header.headerOffset + header.entriesOffset;
  const end = Math.min(header.headerOffset + header.usedSize, bytes.length);
  const entries: IndexEntry[] = [];
  let at = start;
  if (start < header.headerOffset + 16 || start > end) throw corrupt('NTFS_INDEX_ENTRIES_OFFSET', `entries offset ${header.entriesOffset} outside the node (used ${header.usedSize})`, where);
  while (true) {
    if (at + 16 > end) throw corrupt('NTFS_INDEX_ENTRY_OVERRUN', `index entry at ${at} runs past the used size ${end}`, where === undefined ? undefined : where + at);
    const length = v.getUint16(at + 8, true);
    const keyLength = v.getUint16(at + 10, true);
    const flags = v.getUint16(at + 12, true);
    if (length < 16 || at + length > end || length % 8 !== 0) throw corrupt('NTFS_INDEX_ENTRY_LENGTH', `index entry at ${at} has length ${length}`, where === undefined ? undefined : where + at);
    const isLast = (flags & IndexEntryFlag.last) !== 0;
    const hasSub = (flags & IndexEntryFlag.hasSubnode) !== 0;
    if (16 + keyLength + (hasSub ? 8 : 0) > length) throw corrupt('NTFS_INDEX_KEY_LENGTH', `index entry at ${at}: key of ${keyLength} bytes does not fit length ${length}`, where === undefined ? undefined : where + at);
    let subnodeVcn: number | null = null;
    if (hasSub) {
      const vcn = v.getBigUint64(at + length - 8, true);
      if (vcn > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('NTFS_INDEX_SUBNODE_VCN', `sub-node VCN ${vcn}`, where === undefined ? undefined : where + at);
      subnodeVcn = Number(vcn);
    }
    const ref = decodeFileReference(bytes, at);
    const key = bytes.subarray(at + 16, at + 16 + keyLength);
    const entry: IndexEntry = { offset: at, recordNumber: ref.recordNumber, sequence: ref.sequence, length, keyLength, flags, subnodeVcn, isLast, key };
    if (fileNameKeys && !isLast && keyLength > 0) entry.fileName = decodeFileName(key, where === undefined ? undefined : where + at + 16);
    entries.push(entry);
    if (isLast) return entries;
    at += length;
  }
}

/**
 * The offsets of the entries of one $I30 node, up to and including the last
 * marker, with exactly the checks of decodeIndexEntries(…, true) (and of
 * decodeFileName on each key): it throws the same CorruptErrors, but builds
 * no entry objects (listings read names straight from the buffer).
 */
export function scanIndexNode(bytes: Uint8Array, header: IndexNodeHeader): number[] {
  const start = header.headerOffset + header.entriesOffset;
  const end = Math.min(header.headerOffset + header.usedSize, bytes.length);
  const offsets: number[] = [];
  let at = start;
  if (start < header.headerOffset + 16 || start > end) throw corrupt('NTFS_INDEX_ENTRIES_OFFSET', `entries offset ${header.entriesOffset} outside the node (used ${header.usedSize})`);
  while (true) {
    if (at + 16 > end) throw corrupt('NTFS_INDEX_ENTRY_OVERRUN', `index entry at ${at} runs past the used size ${end}`);
    const length = bytes[at + 8] | (bytes[at + 9] << 8);
    const keyLength = bytes[at + 10] | (bytes[at + 11] << 8);
    const flags = bytes[at + 12] | (bytes[at + 13] << 8);
    if (length < 16 || at + length > end || length % 8 !== 0) throw corrupt('NTFS_INDEX_ENTRY_LENGTH', `index entry at ${at} has length ${length}`);
    const isLast = (flags & IndexEntryFlag.last) !== 0;
    const hasSub = (flags & IndexEntryFlag.hasSubnode) !== 0;
    if (16 + keyLength + (hasSub ? 8 : 0) > length) throw corrupt('NTFS_INDEX_KEY_LENGTH', `index entry at ${at}: key of ${keyLength} bytes does not fit length ${length}`);
    // VCNs of 2^53 and above: the high 32 bits reach 0x200000.
    if (hasSub && (bytes[at + length - 4] | (bytes[at + length - 3] << 8) | (bytes[at + length - 2] << 16)) + bytes[at + length - 1] * 0x1000000 >= 0x200000) {
      const v = viewOf(bytes).getBigUint64(at + length - 8, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('NTFS_INDEX_SUBNODE_VCN', `sub-node VCN ${v}`);
    }
    if (!isLast && keyLength > 0) {
      if (keyLength < 0x42) throw corrupt('NTFS_FN_SHORT', `$FILE_NAME of ${keyLength} bytes`);
      const units = bytes[at + 16 + 0x40];
      if (0x42 + units * 2 > keyLength) throw corrupt('NTFS_FN_NAME', `name of ${units} units overruns the ${keyLength}-byte $FILE_NAME`);
    }
    offsets.push(at);
    if (isLast) return offsets;
    at += length;
  }
}

/** INDX block header fields (before the node header at 0x18). */
export interface IndexBlockHeader {
  usaOffset: number;
  usaCount: number;
  lsn: bigint;
  vcn: number;
}

export function decodeIndexBlockHeader(bytes: Uint8Array, where?: number): IndexBlockHeader {
  if (bytes.length < 0x28 || bytes[0] !== 0x49 || bytes[1] !== 0x4e || bytes[2] !== 0x44 || bytes[3] !== 0x58) {
    throw corrupt('NTFS_INDX_SIGNATURE', 'index block lacks the INDX signature', where);
  }
  const v = viewOf(bytes);
  return { usaOffset: v.getUint16(4, true), usaCount: v.getUint16(6, true), lsn: v.getBigUint64(8, true), vcn: Number(v.getBigUint64(0x10, true)) };
}
