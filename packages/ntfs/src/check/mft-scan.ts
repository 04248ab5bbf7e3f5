/**
 * One pass over $MFT for the checker: every record read in large chunks,
 * fixups checked, attributes listed; a compact summary of each record in use
 * is kept (names, sizes, flags) and every non-resident run is handed to
 * `onRuns` so that cluster claims can be counted without holding runlists.
 */
import { FIXUP_STRIDE, removeFixups } from '../write/raw/fixup.js';
import { AttrType, attributeRuns, decodeFileName, decodeRecordHeader, listAttributes, residentValue } from '../write/raw/record.js';
import { FileRecordFlag } from '../layout/file-record-header.js';
import type { Run } from '../write/raw/runlist.js';
import type { RawVolume } from '../write/raw/raw-volume.js';

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
}

const CHUNK = 1 << 20;

export async function scanMft(vol: RawVolume, onRuns: (record: number, attrType: number, runs: Run[]) => void): Promise<ScanResult> {
  const { recordSize } = vol.geometry;
  const count = vol.recordCount;
  const perChunk = Math.max(1, Math.floor(CHUNK / recordSize));
  const records = new Map<number, RecordSummary>();
  const corrupt: ScanResult['corrupt'] = [];
  const withObjectId = new Set<number>();
  const withReparse = new Set<number>();
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
        for (const a of listAttributes(rec, record)) {
          if (a.nonResident) onRuns(record, a.type, attributeRuns(rec, a));
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
  return { records, corrupt, count, withObjectId, withReparse };
}
