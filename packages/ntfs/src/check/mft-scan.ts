/**
 * One pass over $MFT for the checker: every record read in large chunks,
 * fixups checked, attributes listed; a compact summary of each record in use
 * is kept (names, sizes, flags) and every non-resident run is handed to
 * `onRuns` so that cluster claims can be counted without holding runlists
 * (each attribute record is claimed once, in the record that holds it).
 * A file with an $ATTRIBUTE_LIST gets its names and sizes afterwards from the
 * record model (RecordStore.extents: the one attribute-list rule the reader and
 * the writer use), never by crediting extension records through their headers.
 */
import { FIXUP_STRIDE, removeFixups } from '../codec/block-fixup.js';
import { AttrType, attributeRuns, decodeFileName, decodeRecordHeader, listAttributes, residentValue } from '../record/record-bytes.js';
import { FileRecordFlag } from '../layout/file-record-header.js';
import type { Run } from '../codec/runlist.js';
import type { RecordStore } from '../record/record-store.js';

export interface NameInfo { parent: number; parentSequence: number; name: string; namespace: number; dataSize: number; allocatedSize: number; fileAttributes: number }

export interface RecordSummary {
  record: number;
  sequence: number;
  inUse: boolean;
  directory: boolean;
  /** 0 for a base record. */
  baseRecord: number;
  names: NameInfo[];
  /** Unnamed $DATA size (first extent), or -1. */
  dataSize: number;
  dataAllocated: number;
}

export interface ScanResult {
  records: Map<number, RecordSummary>;
  /** Records whose bytes could not be decoded, with the reason. */
  corrupt: { record: number; reason: string; inUse: boolean }[];
  count: number;
  /** Records (base or extension) holding $OBJECT_ID / $REPARSE_POINT, by base record. */
  withObjectId: Set<number>;
  withReparse: Set<number>;
  /** Base records holding an $ATTRIBUTE_LIST: their summaries are completed by resolveListedFiles. */
  withList: number[];
}

const CHUNK = 1 << 20;

export async function scanMft(vol: RecordStore, onRuns: (record: number, attrType: number, runs: Run[]) => void): Promise<ScanResult> {
  const { recordSize } = vol.geometry;
  const count = vol.recordCount;
  const perChunk = Math.max(1, Math.floor(CHUNK / recordSize));
  const records = new Map<number, RecordSummary>();
  const corrupt: ScanResult['corrupt'] = [];
  const withObjectId = new Set<number>();
  const withReparse = new Set<number>();
  const withList: number[] = [];
  for (let first = 0; first < count; first += perChunk) {
    const n = Math.min(perChunk, count - first);
    const pieces = vol.streamPieces(vol.mftRuns, first * recordSize, n * recordSize);
    const bytes = await vol.readPieces(pieces);
    for (let i = 0; i < n; i++) {
      const record = first + i;
      const view = bytes.subarray(i * recordSize, (i + 1) * recordSize);
      const magic = view[0] | (view[1] << 8) | (view[2] << 16) | (view[3] << 24);
      if (magic !== 0x454c4946) {
        let nonZero = false;
        for (let k = 0; k < view.length && !nonZero; k++) nonZero = view[k] !== 0;
        if (nonZero) corrupt.push({ record, reason: 'no FILE signature', inUse: false });
        continue;
      }
      const flags = view[0x16] | (view[0x17] << 8);
      // Free records are skipped without decoding (their bytes are not trusted anyway).
      if (!(flags & FileRecordFlag.inUse)) continue;
      const rec = view.slice();
      try {
        removeFixups(rec, FIXUP_STRIDE);
        const h = decodeRecordHeader(rec, record);
        if (!(h.flags & FileRecordFlag.inUse)) continue;
        const s: RecordSummary = { record, sequence: h.sequence, inUse: true, directory: (h.flags & FileRecordFlag.directory) !== 0, baseRecord: h.baseRecord, names: [], dataSize: -1, dataAllocated: -1 };
        const attrs = listAttributes(rec, record);
        if (h.baseRecord === 0 && attrs.some((a) => a.type === AttrType.attributeList)) withList.push(record);
        for (const a of attrs) {
          if (a.nonResident) onRuns(record, a.type, attributeRuns(rec, a));
          // An extension record's names and sizes are its base's, found through the base's list.
          if (h.baseRecord !== 0) continue;
          if (a.type === AttrType.objectId) withObjectId.add(h.baseRecord || record);
          if (a.type === AttrType.reparsePoint) withReparse.add(h.baseRecord || record);
          if (a.type === AttrType.fileName && !a.nonResident) {
            const fn = decodeFileName(residentValue(rec, a));
            s.names.push({ parent: fn.parentRecord, parentSequence: fn.parentSequence, name: fn.name, namespace: fn.namespace, dataSize: fn.dataSize, allocatedSize: fn.allocatedSize, fileAttributes: fn.fileAttributes });
          }
          if (a.type === AttrType.data && a.name === '' && a.lowestVcn === 0) {
            s.dataSize = a.nonResident ? a.dataSize : a.valueLength;
            s.dataAllocated = a.nonResident ? a.allocatedSize : (a.valueLength + 7) & ~7;
          }
        }
        records.set(record, s);
      } catch (e) {
        corrupt.push({ record, reason: (e as Error).message, inUse: (flags & FileRecordFlag.inUse) !== 0 });
      }
    }
  }
  return { records, corrupt, count, withObjectId, withReparse, withList };
}

/**
 * Completes the summaries of files with an attribute list: names and the unnamed $DATA size from
 * every attribute the list places (base or extension record). A list the record model cannot
 * resolve is a finding (`onBroken`): an extension record unreadable, naming another base, or
 * missing a listed attribute.
 */
export async function resolveListedFiles(vol: RecordStore, scan: ScanResult, onBroken: (record: number, reason: string) => void): Promise<void> {
  for (const n of scan.withList) {
    const s = scan.records.get(n);
    if (!s) continue;
    let extents;
    try {
      extents = await vol.extents(n);
    } catch (e) {
      onBroken(n, (e as Error).message);
      continue;
    }
    s.names = [];
    s.dataSize = -1;
    s.dataAllocated = -1;
    for (const { attr: a, rec } of extents) {
      if (a.type === AttrType.fileName && !a.nonResident) {
        const fn = decodeFileName(residentValue(rec, a));
        s.names.push({ parent: fn.parentRecord, parentSequence: fn.parentSequence, name: fn.name, namespace: fn.namespace, dataSize: fn.dataSize, allocatedSize: fn.allocatedSize, fileAttributes: fn.fileAttributes });
      }
      if (a.type === AttrType.data && a.name === '' && a.lowestVcn === 0) {
        s.dataSize = a.nonResident ? a.dataSize : a.valueLength;
        s.dataAllocated = a.nonResident ? a.allocatedSize : (a.valueLength + 7) & ~7;
      }
    }
  }
}
