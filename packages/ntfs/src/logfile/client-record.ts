/**
 * NTFS client records: the client data of an LFS record of type 1 (an update:
 * redo and undo operations with their data and the target they act on).
 * Sources: libfsntfs $LogFile document; ntfs3 fslog.c (LOG_REC_HDR,
 * do_action); dfir_ntfs NTFSLogRecord (target MFT record number). Pure.
 */
import { viewOf } from '@coldfix/io';
import { NtfsLogRecordHeaderStruct } from './layout/ntfs-log-record-header.js';
import { operationName, operationTarget } from './operations.js';
import { LfsRecordType } from './layout/lfs-record-header.js';
import type { LfsRecord } from './walk.js';


export interface NtfsUpdate {
  redoOperation: number; undoOperation: number; redoOperationName: string; undoOperationName: string;
  redoOffset: number; redoLength: number; undoOffset: number; undoLength: number;
  targetAttribute: number; lcnsToFollow: number; recordOffset: number; attributeOffset: number;
  clusterBlockOffset: number; targetBlockSize: number; targetVcn: bigint; lcns: bigint[];
  redo: Uint8Array; undo: Uint8Array;
  /** MFT record number for operations on MFT records (from VCN, cluster block offset and block size). */
  mftRecord: number | null;
  /** What went wrong decoding (data out of the record, too many LCNs). */
  problems: string[];
}

/** Bytes of an MFT record when the record does not say (targetBlockSize 0). */
const DEFAULT_RECORD_SIZE = 1024;

/**
 * Decodes the NTFS update header and its data from a record's client data.
 * @returns null when the data is shorter than the 0x20-byte header.
 */
export function decodeNtfsUpdate(data: Uint8Array, clusterSize: number): NtfsUpdate | null {
  if (data.length < NtfsLogRecordHeaderStruct.size) return null;
  const h = NtfsLogRecordHeaderStruct.decode(data, 0);
  const problems: string[] = [];
  const lcns: bigint[] = [];
  const lcnEnd = 0x20 + h.lcnsToFollow * 8;
  if (lcnEnd > data.length) problems.push(`${h.lcnsToFollow} LCNs do not fit ${data.length} bytes of client data`);
  else for (let i = 0; i < h.lcnsToFollow; i++) lcns.push(viewOf(data).getBigInt64(0x20 + i * 8, true));
  const slice = (what: string, offset: number, length: number): Uint8Array => {
    if (length === 0) return new Uint8Array(0);
    if (offset < 0x20 || offset + length > data.length) {
      problems.push(`${what} data (offset 0x${offset.toString(16)}, ${length} bytes) lies outside ${data.length} bytes of client data`);
      return new Uint8Array(0);
    }
    return data.subarray(offset, offset + length);
  };
  const redo = slice('redo', h.redoOffset, h.redoLength);
  const undo = slice('undo', h.undoOffset, h.undoLength);
  const onMft = operationTarget(h.redoOperation) === 'mft-record' || operationTarget(h.undoOperation) === 'mft-record';
  let mftRecord: number | null = null;
  if (onMft && h.targetVcn >= 0n) {
    const recordSize = h.targetBlockSize > 0 ? h.targetBlockSize * 512 : DEFAULT_RECORD_SIZE;
    const byte = h.targetVcn * BigInt(clusterSize) + BigInt(h.clusterBlockOffset * 512);
    const n = byte / BigInt(recordSize);
    mftRecord = n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : null;
  }
  return {
    redoOperation: h.redoOperation, undoOperation: h.undoOperation,
    redoOperationName: operationName(h.redoOperation), undoOperationName: operationName(h.undoOperation),
    redoOffset: h.redoOffset, redoLength: h.redoLength, undoOffset: h.undoOffset, undoLength: h.undoLength,
    targetAttribute: h.targetAttribute, lcnsToFollow: h.lcnsToFollow, recordOffset: h.recordOffset, attributeOffset: h.attributeOffset,
    clusterBlockOffset: h.clusterBlockOffset, targetBlockSize: h.targetBlockSize, targetVcn: h.targetVcn, lcns, redo, undo, mftRecord, problems,
  };
}

export const isUpdateRecord = (r: LfsRecord): boolean => r.recordType === LfsRecordType.clientRecord;
export const isCheckpointRecord = (r: LfsRecord): boolean => r.recordType === LfsRecordType.clientRestart;
