/**
 * The NTFS checkpoint: the client restart area (record type 2 at the client
 * restart LSN) and the four tables it points at, each dumped as the redo data
 * of a record (OpenAttributeTableDump, AttributeNamesDump, DirtyPageTableDump,
 * TransactionTableDump). Version 0.x tables use 32-bit-pointer entries,
 * 1.x 64-bit ones (ntfs3 fslog.c log_replay "analysis"; dfir_ntfs; libfsntfs).
 * Pure decoders; every count bounded by the table's bytes.
 */
import { viewOf } from '@coldfix/io';
import { decodeUtf16Units } from '../codec/utf16.js';
import { NtfsRestartAreaStruct, NtfsRestartAreaTailStruct, NTFS_RESTART_AREA_TAIL_OFFSET } from './layout/ntfs-restart-area.js';
import { RESTART_ENTRY_ALLOCATED, RestartTableStruct } from './layout/restart-table.js';
import { OpenAttributeEntryV0Struct, OpenAttributeEntryV1Struct } from './layout/open-attribute-entry.js';
import { DIRTY_PAGE_V0_LCNS_OFFSET, DIRTY_PAGE_V1_LCNS_OFFSET, DirtyPageEntryV0Struct, DirtyPageEntryV1Struct } from './layout/dirty-page-entry.js';
import { TRANSACTION_STATE_NAMES, TransactionEntryStruct } from './layout/transaction-entry.js';
import { AttributeNameEntryStruct } from './layout/attribute-name-entry.js';
import { LogLimits } from './errors.js';

export interface NtfsRestartArea {
  majorVersion: number; minorVersion: number; startOfCheckpointLsn: bigint;
  openAttributeTableLsn: bigint; attributeNamesLsn: bigint; dirtyPageTableLsn: bigint; transactionTableLsn: bigint;
  openAttributeTableLength: number; attributeNamesLength: number; dirtyPageTableLength: number; transactionTableLength: number;
  usnJournalRestartOffset: bigint | null; lastLsn: bigint | null; bytesPerCluster: number | null;
}

export interface OpenAttribute { index: number; fileRecord: number; fileSequence: number; attributeType: number; lsnOfOpenRecord: bigint; name: string }
export interface DirtyPage { index: number; targetAttribute: number; lengthOfTransfer: number; vcn: bigint; oldestLsn: bigint; lcns: bigint[] }
export interface TransactionEntry { index: number; state: string; firstLsn: bigint; previousLsn: bigint; undoNextLsn: bigint; undoRecords: number; undoBytes: number }
export interface TableHeader { entrySize: number; numberEntries: number; numberAllocated: number }

/** @returns null when `data` is shorter than the 0x40-byte restart area. */
export function decodeNtfsRestartArea(data: Uint8Array): NtfsRestartArea | null {
  if (data.length < NtfsRestartAreaStruct.size) return null;
  const a = NtfsRestartAreaStruct.decode(data, 0);
  const tail = data.length >= NTFS_RESTART_AREA_TAIL_OFFSET + NtfsRestartAreaTailStruct.size ? NtfsRestartAreaTailStruct.decode(data, NTFS_RESTART_AREA_TAIL_OFFSET) : null;
  return { ...a, usnJournalRestartOffset: tail?.usnJournalRestartOffset ?? null, lastLsn: tail?.lastLsn ?? null, bytesPerCluster: tail?.bytesPerCluster ?? null };
}

/** The allocated entries of a restart table dump: [byte offset, entry bytes]. */
function tableEntries(data: Uint8Array, minEntrySize: number): { header: TableHeader; entries: Array<[number, Uint8Array]>; problems: string[] } {
  const problems: string[] = [];
  if (data.length < RestartTableStruct.size) return { header: { entrySize: 0, numberEntries: 0, numberAllocated: 0 }, entries: [], problems: ['table dump shorter than its 24-byte header'] };
  const h = RestartTableStruct.decode(data, 0);
  const header = { entrySize: h.entrySize, numberEntries: h.numberEntries, numberAllocated: h.numberAllocated };
  const entries: Array<[number, Uint8Array]> = [];
  if (h.entrySize < minEntrySize || h.entrySize % 4) return { header, entries, problems: [`entry size ${h.entrySize} is below ${minEntrySize} or unaligned`] };
  const fit = Math.floor((data.length - RestartTableStruct.size) / h.entrySize);
  if (h.numberEntries > fit) problems.push(`${h.numberEntries} entries declared, ${fit} fit the dump`);
  const count = Math.min(h.numberEntries, fit, LogLimits.maxTableEntries);
  const v = viewOf(data);
  for (let i = 0; i < count; i++) {
    const at = RestartTableStruct.size + i * h.entrySize;
    if (v.getUint32(at, true) === RESTART_ENTRY_ALLOCATED) entries.push([at, data.subarray(at, at + h.entrySize)]);
  }
  return { header, entries, problems };
}

/** Attribute names dump: open attribute table offset -> name. */
export function decodeAttributeNames(data: Uint8Array): Map<number, string> {
  const names = new Map<number, string>();
  let at = 0;
  while (at + AttributeNameEntryStruct.size <= data.length && names.size < LogLimits.maxTableEntries) {
    const e = AttributeNameEntryStruct.decode(data, at);
    if (e.openAttributeOffset === 0 && e.nameLength === 0) break;
    if (e.nameLength % 2 || at + 4 + e.nameLength > data.length) break;
    names.set(e.openAttributeOffset, decodeUtf16Units(data, at + 4, e.nameLength >> 1));
    at += 4 + e.nameLength + 2;
  }
  return names;
}

const MASK48 = 0xffffffffffffn;

/** One open attribute entry of either layout (by entry size: 0x2c is version 0, else version 1). */
export function decodeOpenAttributeEntry(e: Uint8Array, index: number, version0: boolean, name = ''): OpenAttribute {
  const d = version0 ? OpenAttributeEntryV0Struct.decode(e, 0) : OpenAttributeEntryV1Struct.decode(e, 0);
  return {
    index, fileRecord: Number(d.fileReference & MASK48), fileSequence: Number(d.fileReference >> 48n),
    attributeType: d.attributeTypeCode, lsnOfOpenRecord: d.lsnOfOpenRecord, name,
  };
}

export function decodeOpenAttributeTable(data: Uint8Array, names: Map<number, string>): { header: TableHeader; entries: OpenAttribute[]; problems: string[] } {
  const t = tableEntries(data, OpenAttributeEntryV1Struct.size);
  const v0 = t.header.entrySize >= OpenAttributeEntryV0Struct.size;
  return { header: t.header, problems: t.problems, entries: t.entries.map(([index, e]) => decodeOpenAttributeEntry(e, index, v0, names.get(index) ?? '')) };
}

export function decodeDirtyPageTable(data: Uint8Array, version0: boolean): { header: TableHeader; entries: DirtyPage[]; problems: string[] } {
  const S = version0 ? DirtyPageEntryV0Struct : DirtyPageEntryV1Struct;
  const lcnsAt = version0 ? DIRTY_PAGE_V0_LCNS_OFFSET : DIRTY_PAGE_V1_LCNS_OFFSET;
  const t = tableEntries(data, S.size);
  const entries = t.entries.map(([index, e]): DirtyPage => {
    const d = S.decode(e, 0);
    const n = Math.min(d.lcnsToFollow, Math.floor((e.length - lcnsAt) / 8));
    const v = viewOf(e);
    const lcns: bigint[] = [];
    for (let i = 0; i < n; i++) lcns.push(v.getBigInt64(lcnsAt + i * 8, true));
    return { index, targetAttribute: d.targetAttribute, lengthOfTransfer: d.lengthOfTransfer, vcn: d.vcn, oldestLsn: d.oldestLsn, lcns };
  });
  return { header: t.header, entries, problems: t.problems };
}

export function decodeTransactionTable(data: Uint8Array): { header: TableHeader; entries: TransactionEntry[]; problems: string[] } {
  const t = tableEntries(data, TransactionEntryStruct.size);
  const entries = t.entries.map(([index, e]): TransactionEntry => {
    const d = TransactionEntryStruct.decode(e, 0);
    return {
      index, state: TRANSACTION_STATE_NAMES[d.transactionState] ?? `unknown(${d.transactionState})`, firstLsn: d.firstLsn,
      previousLsn: d.previousLsn, undoNextLsn: d.undoNextLsn, undoRecords: d.undoRecords, undoBytes: d.undoBytes,
    };
  });
  return { header: t.header, entries, problems: t.problems };
}
