/**
 * Index node codec (INDEX_HEADER + INDEX_ENTRY list), shared by $INDEX_ROOT
 * values and INDX blocks, decoded into a small editable model and encoded back.
 *
 * References: NTFS documentation (Russon & Fledel, "Index header", "Index
 * entry"); ntfs-3g layout.h INDEX_HEADER / INDEX_ENTRY. Read, not copied.
 *
 *   INDEX_HEADER (at `headerAt`): 0 entries offset | 4 index length | 8 allocated size | 12 flags (1 = has sub-nodes)
 *   INDEX_ENTRY: 0 file reference (8) | 8 length (2) | 10 key length (2) | 12 flags (2: 1 node, 2 end) | 16 key ...
 *                | length-8: sub-node VCN (8) when flag 1
 */
import { CorruptError, viewOf } from '@coldfix/io';
import { decodeNodeHeader } from '../layout/index-node.js';

export const IndexEntryFlags = { node: 1, end: 2 } as const;
export const IndexHeaderFlags = { largeIndex: 1 } as const;

/** One entry; `body` holds the on-disk bytes up to (not including) the sub-node VCN. */
export interface IndexEntry {
  fileRef: bigint;
  /** Key bytes (a $FILE_NAME value for $I30). Empty for the end entry. */
  key: Uint8Array;
  end: boolean;
  /** Sub-node VCN, or null in a leaf. */
  child: number | null;
  /** Entry bytes without the trailing VCN, length field and node flag rewritten on encode. */
  body: Uint8Array;
}

export interface IndexNode {
  /** 'root' for $INDEX_ROOT, else the block's VCN. */
  vcn: number | 'root';
  entries: IndexEntry[];
  /** INDEX_HEADER flags bit 1: entries have sub-nodes. */
  hasChildren: boolean;
  /** Entries offset relative to the header (kept as found). */
  entriesOffset: number;
  /** Bytes available for header + entries (INDX: allocated size; root: grows with the record). */
  allocatedSize: number;
}

const LAYER = 'ntfs-write';
const MAX_ENTRIES = 65536;

/**
 * Decodes the index header at `headerAt` in `bytes` (fixups already removed).
 * @throws CorruptError when lengths point outside the buffer or no end entry is found.
 */
export function decodeIndexNode(bytes: Uint8Array, headerAt: number, vcn: number | 'root'): IndexNode {
  const v = viewOf(bytes);
  if (headerAt + 16 > bytes.length) throw new CorruptError('index header truncated', { code: 'NTFS_INDEX_TRUNCATED', layer: LAYER, details: { vcn: String(vcn) } });
  // INDEX_HEADER through the reader's layout/index-node.ts; the bounds checks below stay the writer's.
  const header = decodeNodeHeader(bytes, headerAt);
  const { entriesOffset, allocatedSize } = header;
  const indexLength = header.usedSize;
  const hasChildren = (header.flags & IndexHeaderFlags.largeIndex) !== 0;
  const limit = headerAt + indexLength;
  if (entriesOffset < 16 || entriesOffset > indexLength || limit > bytes.length || indexLength > allocatedSize) {
    throw new CorruptError(`index node ${String(vcn)}: header lengths out of bounds (entries ${entriesOffset}, length ${indexLength}, allocated ${allocatedSize})`, {
      code: 'NTFS_INDEX_BAD_HEADER', layer: LAYER, details: { vcn: String(vcn), entriesOffset, indexLength, allocatedSize },
    });
  }
  const entries: IndexEntry[] = [];
  let at = headerAt + entriesOffset;
  for (;;) {
    if (at + 16 > limit || entries.length > MAX_ENTRIES) {
      throw new CorruptError(`index node ${String(vcn)}: no end entry`, { code: 'NTFS_INDEX_NO_END', layer: LAYER, details: { vcn: String(vcn) } });
    }
    const length = v.getUint16(at + 8, true);
    const keyLength = v.getUint16(at + 10, true);
    const flags = v.getUint16(at + 12, true);
    const isNode = (flags & IndexEntryFlags.node) !== 0;
    const end = (flags & IndexEntryFlags.end) !== 0;
    if (length < 16 || length & 7 || at + length > limit || (!end && 16 + keyLength > length - (isNode ? 8 : 0)) || (isNode && length < 24)) {
      throw new CorruptError(`index node ${String(vcn)}: entry at 0x${at.toString(16)} has bad length ${length}`, {
        code: 'NTFS_INDEX_BAD_ENTRY', layer: LAYER, details: { vcn: String(vcn), at, length, keyLength },
      });
    }
    if (isNode !== hasChildren) {
      throw new CorruptError(`index node ${String(vcn)}: entry node flag disagrees with the header`, { code: 'NTFS_INDEX_MIXED_NODE', layer: LAYER, details: { vcn: String(vcn), at } });
    }
    const child = isNode ? Number(v.getBigInt64(at + length - 8, true)) : null;
    if (child !== null && (child < 0 || !Number.isSafeInteger(child))) {
      throw new CorruptError(`index node ${String(vcn)}: negative sub-node VCN`, { code: 'NTFS_INDEX_BAD_VCN', layer: LAYER, details: { vcn: String(vcn), at } });
    }
    const body = bytes.slice(at, at + length - (isNode ? 8 : 0));
    entries.push({ fileRef: v.getBigUint64(at, true), key: end ? new Uint8Array(0) : body.subarray(16, 16 + keyLength), end, child, body });
    at += length;
    if (end) break;
  }
  return { vcn, entries, hasChildren, entriesOffset, allocatedSize };
}

/** On-disk length of an entry once encoded. */
export function entryLength(e: IndexEntry): number {
  return e.body.length + (e.child !== null ? 8 : 0);
}

/** Bytes the node needs: entries offset + all entries (the header's index length). */
export function nodeLength(n: IndexNode): number {
  return n.entriesOffset + n.entries.reduce((s, e) => s + entryLength(e), 0);
}

/** Makes a leaf copy of an entry body (no VCN) with `child` to attach later. */
export function withChild(e: IndexEntry, child: number | null): IndexEntry {
  return { ...e, child };
}

/**
 * Encodes `n` into `bytes` at `headerAt`: header length/flags and entries.
 * Bytes after the new end are left as they were (slack, as ntfs-3g and Windows leave it).
 * @param allocatedSize written to the header (root: equal to the index length).
 */
export function encodeIndexNode(n: IndexNode, bytes: Uint8Array, headerAt: number, allocatedSize: number): void {
  const v = viewOf(bytes);
  const length = nodeLength(n);
  if (headerAt + length > bytes.length || length > allocatedSize) {
    throw new CorruptError(`index node ${String(n.vcn)}: ${length} bytes do not fit ${allocatedSize}`, { code: 'NTFS_INDEX_OVERFLOW', layer: LAYER, details: { vcn: String(n.vcn), length, allocatedSize } });
  }
  v.setUint32(headerAt, n.entriesOffset, true);
  v.setUint32(headerAt + 4, length, true);
  v.setUint32(headerAt + 8, allocatedSize, true);
  bytes[headerAt + 12] = (bytes[headerAt + 12] & ~IndexHeaderFlags.largeIndex) | (n.hasChildren ? IndexHeaderFlags.largeIndex : 0);
  let at = headerAt + n.entriesOffset;
  for (const e of n.entries) {
    if ((e.child !== null) !== n.hasChildren) {
      throw new CorruptError(`index node ${String(n.vcn)}: entry sub-node presence disagrees with the node`, { code: 'NTFS_INDEX_MIXED_NODE', layer: LAYER });
    }
    bytes.set(e.body, at);
    const len = entryLength(e);
    v.setUint16(at + 8, len, true);
    const flags = (v.getUint16(at + 12, true) & ~IndexEntryFlags.node) | (e.child !== null ? IndexEntryFlags.node : 0);
    v.setUint16(at + 12, flags, true);
    if (e.child !== null) v.setBigInt64(at + len - 8, BigInt(e.child), true);
    at += len;
  }
}
