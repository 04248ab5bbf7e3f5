/**
 * checkScope: the consistency checks of checkVolume (check-volume.ts), restricted
 * to the structures a file deletion touches, so that a repair's verification
 * costs what the repair touched rather than a pass over the whole volume.
 *
 * In scope:
 *  - each directory listed: in use, a directory, its $MFT:$BITMAP bit set; its
 *    $I30 B+ tree invariants (index-check.ts, the same walk checkVolume does);
 *    every entry against the record it names (in use, same sequence, a base
 *    record, a $FILE_NAME with that name, namespace and parent, cached size);
 *    every name, in that directory, of every record its entries name, indexed;
 *    the clusters of its non-resident attributes marked in $Bitmap;
 *  - each record listed (a deleted file and its extension records): when in use,
 *    as above (bit set, clusters marked, names in a scoped directory indexed);
 *    when free, its $MFT:$BITMAP bit clear;
 *  - `freedRuns` (the clusters the listed records held before the write): each
 *    cluster that no in-use scoped record claims now must be clear in $Bitmap;
 *  - $MFTMirr equal to the first records of $MFT.
 * Not in scope (checkVolume covers them): clusters claimed twice anywhere, records
 * and directories the write did not touch, $Extend\$ObjId and $Extend\$Reparse.
 * Finding codes are checkVolume's, so a caller can compare a scope's findings
 * before and after a write.
 *
 * References: as check-volume.ts (ntfs-3g ntfsfix/ntfsck logic, chkdsk stages),
 * restricted the way ntfs-3g's ntfs_delete bounds what it changes.
 */
import { LimitExceededError } from '@coldfix/io';
import { FileRecordFlag } from '../layout/file-record-header.js';
import { attributeData, type AttributeData } from '../record/attribute-data.js';
import { RecordStore, type Extent } from '../record/record-store.js';
import { AttrType, attributeRuns, decodeFileName, decodeRecordHeader, residentValue } from '../record/record-bytes.js';
import { WriteTxn } from '../write/txn.js';
import { recordStoreOf, type VolumeInput } from '../record/volume-source.js';
import { checkDirectoryIndex, type IndexedName } from './index-check.js';
import type { CheckFinding } from './types.js';

/** What a write touched: see the module comment. */
export interface CheckScope {
  /** Directory records whose $I30 index is checked entry by entry. */
  directories: number[];
  /** Records whose state is checked (deleted files and their extension records). */
  records: number[];
  /** Cluster runs the records held before the write (from scopeClaims); each cluster no in-use scoped record claims must be free. */
  freedRuns?: { lcn: number; length: number }[];
}

/** Bounds: a scope is what one repair touches, not a volume. */
const MAX_SCOPE_RECORDS = 65536;
const MAX_SCOPE_RUNS = 1 << 20;
const MAX_FINDINGS = 1000;
const FIRST_USER_RECORD = 24;

interface RecordState {
  inUse: boolean;
  directory: boolean;
  sequence: number;
  baseRecord: number;
  names: { parent: number; name: string; namespace: number }[];
  dataSize: number;
  runs: { lcn: number; length: number }[];
}

async function recordState(vol: RecordStore, n: number): Promise<RecordState | { corrupt: string }> {
  try {
    const rec = await vol.readRecord(n);
    const h = decodeRecordHeader(rec, n);
    const inUse = (h.flags & FileRecordFlag.inUse) !== 0;
    const state: RecordState = { inUse, directory: (h.flags & FileRecordFlag.directory) !== 0, sequence: h.sequence, baseRecord: h.baseRecord, names: [], dataSize: -1, runs: [] };
    if (!inUse) return state;
    // A base record's extents include its extension records' attributes (names, runs), as the full scan credits them.
    const extents: Extent[] = h.baseRecord === 0 ? await vol.extents(n, rec) : [];
    for (const { attr, rec: r } of extents) {
      if (attr.nonResident) for (const run of attributeRuns(r, attr)) if (run.lcn !== null) state.runs.push({ lcn: run.lcn, length: run.length });
      if (attr.type === AttrType.fileName && !attr.nonResident) {
        const fn = decodeFileName(residentValue(r, attr));
        state.names.push({ parent: fn.parentRecord, name: fn.name, namespace: fn.namespace });
      }
      if (attr.type === AttrType.data && attr.name === '' && attr.lowestVcn === 0) state.dataSize = attr.nonResident ? attr.dataSize : attr.valueLength;
    }
    return state;
  } catch (error) {
    return { corrupt: (error as Error).message };
  }
}

/**
 * The scope of deleting the files whose base records are `records`: the directories their names
 * are in, the records with their extension records, and the clusters they hold now (`freedRuns`).
 * Call before the write; check the same scope before (baseline) and after it.
 * @throws LimitExceededError NTFS_CHECK_SCOPE_TOO_LARGE; CorruptError on unreadable records.
 */
export async function scopeClaims(volume: VolumeInput, records: number[]): Promise<CheckScope & { freedRuns: { lcn: number; length: number }[] }> {
  const vol = await recordStoreOf(volume);
  const all = new Set<number>();
  const parents = new Set<number>();
  const runs: { lcn: number; length: number }[] = [];
  for (const n of records) {
    all.add(n);
    const extents = await vol.extents(n);
    for (const { record, attr, rec } of extents) {
      all.add(record);
      if (attr.nonResident) for (const run of attributeRuns(rec, attr)) if (run.lcn !== null) runs.push({ lcn: run.lcn, length: run.length });
      if (attr.type === AttrType.fileName && !attr.nonResident) parents.add(decodeFileName(residentValue(rec, attr)).parentRecord);
    }
    if (all.size > MAX_SCOPE_RECORDS) throw new LimitExceededError(`a check scope above ${MAX_SCOPE_RECORDS} records`, { code: 'NTFS_CHECK_SCOPE_TOO_LARGE', layer: 'ntfs-check' });
  }
  return { directories: [...parents], records: [...all], freedRuns: runs };
}

/** Checks what `scope` names; `clean` is true when no finding was made. @throws CorruptError when the volume cannot be opened at all. */
export async function checkScope(volume: VolumeInput, scope: CheckScope): Promise<{ clean: boolean; findings: CheckFinding[] }> {
  const vol = await recordStoreOf(volume);
  const { totalClusters } = vol.geometry;
  const findings: CheckFinding[] = [];
  const add = (f: CheckFinding): void => {
    if (findings.length < MAX_FINDINGS) findings.push(f);
  };
  const mftBitmap = attributeData(vol, await vol.extents(0), AttrType.bitmap);
  const clusterBitmap = attributeData(vol, await vol.extents(6), AttrType.data);
  const mftBit = (n: number): Promise<number> => bitOf(mftBitmap, n);
  const states = new Map<number, RecordState | { corrupt: string }>();
  const state = async (n: number): Promise<RecordState | { corrupt: string }> => {
    let s = states.get(n);
    if (!s) {
      if (states.size >= MAX_SCOPE_RECORDS) throw new LimitExceededError(`a check scope above ${MAX_SCOPE_RECORDS} records`, { code: 'NTFS_CHECK_SCOPE_TOO_LARGE', layer: 'ntfs-check' });
      s = await recordState(vol, n);
      states.set(n, s);
    }
    return s;
  };
  const claimed: { lcn: number; length: number }[] = [];
  const checkClaims = async (n: number, s: RecordState): Promise<void> => {
    for (const run of s.runs) {
      if (run.lcn + run.length > totalClusters) {
        add({ code: 'RUN_OUTSIDE_VOLUME', message: `record ${n}: run at LCN ${run.lcn} (+${run.length}) ends past the volume's ${totalClusters} clusters`, records: [n] });
        continue;
      }
      claimed.push(run);
      if (claimed.length > MAX_SCOPE_RUNS) throw new LimitExceededError('a check scope above 2^20 runs', { code: 'NTFS_CHECK_SCOPE_TOO_LARGE', layer: 'ntfs-check' });
      const free = await clearClusters(clusterBitmap, run.lcn, run.length);
      if (free.count) add({ code: 'CLUSTER_CLAIMED_BUT_FREE', message: `${free.count} cluster(s) from LCN ${free.first} claimed by a runlist but free in $Bitmap`, records: [n] });
    }
  };
  const checkRecord = async (n: number): Promise<RecordState | null> => {
    const s = await state(n);
    if ('corrupt' in s) {
      if (await mftBit(n)) add({ code: 'RECORD_CORRUPT', message: `record ${n}: ${s.corrupt}`, records: [n] });
      return null;
    }
    const bit = await mftBit(n);
    if (s.inUse && !bit) add({ code: 'MFT_BITMAP_CLEAR_IN_USE', message: `record ${n} is in use but its $MFT:$BITMAP bit is clear`, records: [n] });
    if (!s.inUse && bit && n >= FIRST_USER_RECORD) add({ code: 'MFT_BITMAP_SET_FREE', message: `record ${n} is free but its $MFT:$BITMAP bit is set`, records: [n] });
    if (s.inUse && s.baseRecord === 0) await checkClaims(n, s);
    return s;
  };

  // Directories: the record, its index tree, and each entry against the record it names.
  const txn = new WriteTxn(vol);
  const upcase = await vol.upcase();
  const directories = new Set(scope.directories);
  const indexed = new Set<string>();
  const named = new Set<number>();
  for (const dir of directories) {
    const d = await checkRecord(dir);
    if (!d) continue;
    if (!d.inUse || !d.directory || d.baseRecord !== 0) {
      add({ code: 'NAME_PARENT_NOT_DIRECTORY', message: `record ${dir} is not a directory in use`, records: [dir] });
      continue;
    }
    const entries: IndexedName[] = [];
    await checkDirectoryIndex(txn, dir, upcase, findings, entries);
    for (const e of entries) {
      const fn = decodeFileName(e.key);
      indexed.add(`${e.dir}|${e.record}|${fn.namespace}|${fn.name}`);
      named.add(e.record);
      const target = await state(e.record);
      if ('corrupt' in target || !target.inUse) {
        add({ code: 'INDEX_ENTRY_FREED_RECORD', message: `directory ${e.dir}: entry "${fn.name}" points at record ${e.record}, which is not in use`, records: [e.dir, e.record] });
        continue;
      }
      if (target.sequence !== e.sequence) add({ code: 'INDEX_ENTRY_SEQUENCE', message: `directory ${e.dir}: entry "${fn.name}" has sequence ${e.sequence}, record ${e.record} has ${target.sequence}`, records: [e.dir, e.record] });
      if (target.baseRecord !== 0) {
        add({ code: 'INDEX_ENTRY_EXTENSION', message: `directory ${e.dir}: entry "${fn.name}" points at extension record ${e.record}`, records: [e.dir, e.record] });
        continue;
      }
      const match = target.names.find((n) => n.parent === e.dir && n.namespace === fn.namespace && n.name === fn.name);
      if (!match) add({ code: 'INDEX_ENTRY_NAME_MISMATCH', message: `directory ${e.dir}: entry "${fn.name}" (namespace ${fn.namespace}) matches no $FILE_NAME of record ${e.record}`, records: [e.dir, e.record] });
      else if (fn.parentRecord !== e.dir) add({ code: 'INDEX_ENTRY_PARENT', message: `directory ${e.dir}: entry "${fn.name}" names parent ${fn.parentRecord}`, records: [e.dir, e.record] });
      // Windows never refreshes the sizes cached for metadata files (checkVolume skips them too).
      else if (!target.directory && target.dataSize >= 0 && fn.dataSize !== target.dataSize && e.record >= FIRST_USER_RECORD && e.dir !== 11) {
        add({ code: 'INDEX_SIZE_MISMATCH', message: `directory ${e.dir}: entry "${fn.name}" caches size ${fn.dataSize}, record ${e.record} holds ${target.dataSize}`, records: [e.dir, e.record] });
      }
    }
  }
  // Records: the scoped ones, and every record a scoped directory names, must have each name it gives in a scoped directory indexed.
  for (const n of scope.records) await checkRecord(n);
  for (const n of new Set([...scope.records, ...named])) {
    const s = await state(n);
    if ('corrupt' in s || !s.inUse || s.baseRecord !== 0) continue;
    for (const name of s.names) {
      if (directories.has(name.parent) && !indexed.has(`${name.parent}|${n}|${name.namespace}|${name.name}`)) {
        add({ code: 'NAME_NOT_INDEXED', message: `record ${n} "${name.name}" (namespace ${name.namespace}) is missing from directory ${name.parent}'s index`, records: [n, name.parent] });
      }
    }
  }

  // Clusters the scoped records gave up: free unless still claimed by a scoped record in use.
  let orphans = 0;
  let firstOrphan = -1;
  if ((scope.freedRuns?.length ?? 0) > MAX_SCOPE_RUNS) throw new LimitExceededError('a check scope above 2^20 runs', { code: 'NTFS_CHECK_SCOPE_TOO_LARGE', layer: 'ntfs-check' });
  for (const piece of uncovered(scope.freedRuns ?? [], claimed)) {
    if (piece.lcn + piece.length > totalClusters) continue;
    const bits = await readBits(clusterBitmap, piece.lcn, piece.length);
    for (let i = 0; i < piece.length; i++) {
      const k = bits.first + i;
      if (!((bits.bytes[k >> 3] >> (k & 7)) & 1)) continue;
      if (firstOrphan < 0) firstOrphan = piece.lcn + i;
      orphans++;
    }
  }
  if (orphans) add({ code: 'CLUSTER_MARKED_UNCLAIMED', message: `${orphans} cluster(s) from LCN ${firstOrphan} marked in use in $Bitmap but claimed by no runlist`, records: [] });

  // $MFTMirr, as checkVolume compares it.
  for (let n = 0; n < vol.mirrorRecords; n++) {
    const pieces = vol.mirrorPieces(n);
    if (!pieces) break;
    const [a, b] = [await vol.readRecordRaw(n), await vol.readPieces(pieces)];
    if (a.length !== b.length || a.some((x, i) => x !== b[i])) add({ code: 'MFT_MIRROR_MISMATCH', message: `$MFTMirr record ${n} differs from $MFT record ${n}`, records: [n] });
  }
  return { clean: findings.length === 0, findings };
}

/** Bits [first, first + count) of a bitmap stream: the bytes covering them and the index of `first` in them. */
async function readBits(bitmap: AttributeData, first: number, count: number): Promise<{ bytes: Uint8Array; first: number }> {
  const start = first >> 3;
  const end = Math.min(bitmap.size, (first + count + 7) >> 3);
  const bytes = end > start ? await bitmap.read(start, end - start) : new Uint8Array(0);
  return { bytes, first: first & 7 };
}

async function bitOf(bitmap: AttributeData, n: number): Promise<number> {
  const { bytes, first } = await readBits(bitmap, n, 1);
  return bytes.length ? (bytes[0] >> first) & 1 : 0;
}

/** How many clusters of [lcn, lcn + length) are clear in $Bitmap, and the first of them. */
async function clearClusters(bitmap: AttributeData, lcn: number, length: number): Promise<{ count: number; first: number }> {
  const { bytes, first } = await readBits(bitmap, lcn, length);
  let count = 0;
  let firstClear = -1;
  for (let i = 0; i < length; i++) {
    const k = first + i;
    if (k >> 3 < bytes.length && (bytes[k >> 3] >> (k & 7)) & 1) continue;
    if (firstClear < 0) firstClear = lcn + i;
    count++;
  }
  return { count, first: firstClear };
}

/** The parts of `runs` that no run of `minus` covers (both lists of cluster runs). */
export function uncovered(runs: { lcn: number; length: number }[], minus: { lcn: number; length: number }[]): { lcn: number; length: number }[] {
  // Merge the cover into disjoint sorted intervals, then find each run's first overlap by binary search.
  const merged: { start: number; end: number }[] = [];
  for (const c of [...minus].sort((a, b) => a.lcn - b.lcn)) {
    const last = merged[merged.length - 1];
    if (last && c.lcn <= last.end) last.end = Math.max(last.end, c.lcn + c.length);
    else merged.push({ start: c.lcn, end: c.lcn + c.length });
  }
  const out: { lcn: number; length: number }[] = [];
  for (const run of runs) {
    let at = run.lcn;
    const end = run.lcn + run.length;
    let lo = 0;
    let hi = merged.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (merged[mid].end <= at) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < merged.length && merged[i].start < end; i++) {
      if (merged[i].start > at) out.push({ lcn: at, length: merged[i].start - at });
      at = Math.max(at, merged[i].end);
    }
    if (at < end) out.push({ lcn: at, length: end - at });
  }
  return out;
}
