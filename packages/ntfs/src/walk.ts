/**
 * Recursive listing like The Sleuth Kit's `fls -r -p` (and `-d`): every $I30
 * name (DOS-only 8.3 names skipped, as fls does), depth first in index order;
 * with `deleted`, records not in use are added under their last parent when
 * the parent's sequence still matches, and the rest under a virtual
 * `$OrphanFiles` directory (TSK ntfs_dent.cpp parent map and orphan hunt,
 * read for behaviour, not copied).
 *
 * Streaming: one directory's entries are held at a time per level; records
 * are fetched in record-number order so the MFT chunk cache is read
 * sequentially. The deleted scan reads the MFT in 4 MiB chunks and keeps a
 * small summary per unallocated named record only.
 */
import { AttributeType, FileAttribute } from './layout/attribute-types.js';
import { ReparseTag } from './layout/reparse-point.js';
import { Limits } from './errors.js';
import { fileNames, findAttribute, joinedAttributes, reparsePoint, standardInformation, type FileRecord } from './record-view.js';
import { hasRecordSignature } from './codec/decode-record.js';
import { DirectoryIndex } from './directory.js';
import type { DirEntry, EntryType, WalkEntry } from './types.js';
import type { NtfsVolume } from './volume.js';

export interface WalkOptions {
  /** Include deleted entries and orphans (like fls without -u; `fls -d` is `deleted` + filtering on `entry.deleted`). */
  deleted?: boolean;
  /** Start below this directory path instead of the root. */
  root?: string;
  /** Descend into sub-directories (default true); false lists one directory. */
  recursive?: boolean;
}

const ROOT = 5;

/** The parts of a walk entry that come from the record itself. */
export function summarize(record: FileRecord): Omit<WalkEntry, 'path' | 'name' | 'namespace' | 'parentRecordNumber' | 'deleted' | 'reallocated' | 'orphan'> {
  const si = standardInformation(record);
  const names = fileNames(record);
  const reparse = reparsePoint(record);
  const indexRoot = findAttribute(record, AttributeType.indexRoot, '$I30');
  const data = findAttribute(record, AttributeType.data, '');
  const isDirectory = record.isDirectory || indexRoot !== null;
  const streams: WalkEntry['streams'] = [];
  for (const a of joinedAttributes(record)) {
    if (a.type === AttributeType.data && a.name !== '') streams.push({ name: a.name, size: a.dataSize, kind: 'data' });
    else if (a.type === AttributeType.indexRoot && a.name !== '$I30') streams.push({ name: a.name, size: a.dataSize, kind: 'index' });
  }
  let type: EntryType = isDirectory ? 'dir' : 'file';
  if (reparse && (reparse.tag === ReparseTag.symlink || reparse.tag === ReparseTag.mountPoint || reparse.tag === ReparseTag.lxSymlink)) type = 'link';
  else if (!isDirectory && si && si.fileAttributes & FileAttribute.device) type = 'other';
  return {
    recordNumber: record.recordNumber,
    sequence: record.sequence,
    type,
    isDirectory,
    size: isDirectory ? indexRoot?.dataSize ?? 0 : data?.dataSize ?? 0,
    si,
    names,
    streams,
    reparse,
    hasDefaultData: data !== null,
    hasIndexRoot: indexRoot !== null,
  };
}

interface DeletedCandidate {
  summary: ReturnType<typeof summarize>;
  inUse: false;
}

class Seen {
  private readonly bits: Uint8Array;
  constructor(count: number) {
    this.bits = new Uint8Array(Math.ceil(count / 8));
  }
  add(n: number): void {
    if (n >= 0 && n < this.bits.length * 8) this.bits[n >> 3] |= 1 << (n & 7);
  }
  has(n: number): boolean {
    return n >= 0 && n < this.bits.length * 8 && (this.bits[n >> 3] & (1 << (n & 7))) !== 0;
  }
}

/** Reads every MFT record not in use that still has a FILE header. */
async function scanUnallocated(volume: NtfsVolume): Promise<Map<number, DeletedCandidate>> {
  const out = new Map<number, DeletedCandidate>();
  const mft = volume.mft;
  const size = volume.recordSize;
  for (let first = 0; first < mft.recordCount; first += mft.recordsPerScan) {
    const chunk = await mft.readRange(first, mft.recordsPerScan);
    for (let i = 0; i * size < chunk.length; i++) {
      const raw = chunk.subarray(i * size, (i + 1) * size);
      // In-use flag is bit 0 of the flags at 0x16 (not covered by fixups).
      if (!hasRecordSignature(raw) || (raw[0x16] & 1) !== 0) continue;
      try {
        const record = volume.decodeRaw(raw.slice(), first + i);
        // Extension records belong to their base; records without attributes were never used (TSK lists neither).
        if (record.baseRecordNumber !== 0 || record.attributes.length === 0) continue;
        out.set(first + i, { summary: summarize(record), inUse: false });
      } catch {
        // Torn or garbage record: not listable (TSK skips these too).
      }
    }
  }
  return out;
}

export async function* walkVolume(volume: NtfsVolume, options: WalkOptions): AsyncGenerator<WalkEntry> {
  let rootRecord = ROOT;
  let rootPath = '';
  if (options.root) {
    const entry = await volume.resolve(options.root);
    rootRecord = entry.recordNumber;
    rootPath = entry.path === '/' ? '' : entry.path;
  }
  const deleted = options.deleted ? await scanUnallocated(volume) : null;
  // Children of each directory among deleted records: parent -> candidates.
  const byParent = new Map<number, number[]>();
  if (deleted) {
    for (const [n, c] of deleted) {
      for (const fn of c.summary.names) {
        if (fn.namespace === 'dos') continue;
        const list = byParent.get(fn.parentRecordNumber);
        if (list) {
          if (list[list.length - 1] !== n) list.push(n);
        } else byParent.set(fn.parentRecordNumber, [n]);
      }
    }
  }
  const seen = new Seen(volume.recordCount);
  seen.add(rootRecord);
  const maxDepth = options.recursive === false ? 0 : Limits.maxPathDepth;
  yield* walkDirectory(volume, rootRecord, rootPath, 0, new Set([rootRecord]), deleted, byParent, seen, false, maxDepth);
  if (rootRecord !== ROOT || maxDepth === 0) return;
  // Orphans: deleted records not reached through a directory (TSK's virtual $OrphanFiles, numbered one past the last record).
  const orphanDir = '/$OrphanFiles';
  yield virtualEntry(orphanDir, volume.recordCount);
  if (!deleted) return;
  for (const [n, c] of deleted) {
    if (seen.has(n)) continue;
    const fn = c.summary.names.find((x) => x.namespace !== 'dos');
    const name = fn?.name ?? `OrphanFile-${n}`;
    seen.add(n);
    const entry: WalkEntry = { ...c.summary, path: `${orphanDir}/${name}`, name, namespace: fn?.namespace ?? 'posix', parentRecordNumber: fn?.parentRecordNumber ?? 0, deleted: true, reallocated: false, orphan: true };
    yield entry;
    if (entry.isDirectory) yield* deletedChildren(volume, n, entry.path, 1, deleted, byParent, seen, c.summary.sequence, Limits.maxPathDepth);
  }
}

function virtualEntry(path: string, recordNumber: number): WalkEntry {
  return {
    path, name: path.slice(path.lastIndexOf('/') + 1), namespace: 'posix', recordNumber, sequence: 0, parentRecordNumber: ROOT,
    type: 'dir', isDirectory: true, deleted: false, reallocated: false, orphan: false, size: 0, si: null, names: [], streams: [], reparse: null,
    hasDefaultData: false, hasIndexRoot: false,
  };
}

async function* walkDirectory(
  volume: NtfsVolume, dir: number, path: string, depth: number, ancestors: Set<number>,
  deleted: Map<number, DeletedCandidate> | null, byParent: Map<number, number[]>, seen: Seen, parentDeleted: boolean, maxDepth: number,
): AsyncGenerator<WalkEntry> {
  if (depth > Limits.maxPathDepth) {
    volume.note(`${path}: deeper than ${Limits.maxPathDepth} directories; not descended`);
    return;
  }
  let dirRecord: FileRecord;
  const entries: DirEntry[] = [];
  try {
    dirRecord = await volume.readRecord(dir);
    // Not the volume's index cache: a walk visits each directory once.
    const index = await DirectoryIndex.open(volume, dirRecord);
    for await (const e of index.entries()) if (e.namespace !== 'dos') entries.push(e);
  } catch (error) {
    volume.note(`${path || '/'}: directory unreadable: ${(error as Error).message}`);
    return;
  }
  // Fetch in record order: the MFT chunk cache then reads each chunk once.
  const records = new Map<number, FileRecord | null>();
  for (const n of [...new Set(entries.map((e) => e.recordNumber))].sort((a, b) => a - b)) {
    try {
      records.set(n, await volume.readRecord(n));
    } catch (error) {
      volume.note(`${path}: record ${n}: ${(error as Error).message}`);
      records.set(n, null);
    }
  }
  for (const e of entries) {
    const record = records.get(e.recordNumber);
    if (!record) continue;
    const live = record.inUse && record.sequence === e.sequence;
    if (!live && !deleted) continue;
    if (e.recordNumber === dir) continue; // "." style self reference
    seen.add(e.recordNumber);
    const summary = summarize(record);
    const entry: WalkEntry = {
      ...summary, path: `${path}/${e.name}`, name: e.name, namespace: e.namespace, parentRecordNumber: dir,
      deleted: !live || parentDeleted, reallocated: !live && record.inUse, orphan: false,
    };
    yield entry;
    if (live && entry.isDirectory && depth < maxDepth && !ancestors.has(e.recordNumber)) {
      ancestors.add(e.recordNumber);
      yield* walkDirectory(volume, e.recordNumber, entry.path, depth + 1, ancestors, deleted, byParent, seen, parentDeleted, maxDepth);
      ancestors.delete(e.recordNumber);
    }
  }
  if (deleted) yield* deletedChildren(volume, dir, path, depth, deleted, byParent, seen, dirRecord.sequence, maxDepth, new Set(entries.map((e) => e.recordNumber)));
}

/** Deleted records whose $FILE_NAME names `dir` (with its sequence) as parent. */
async function* deletedChildren(
  volume: NtfsVolume, dir: number, path: string, depth: number, deleted: Map<number, DeletedCandidate>, byParent: Map<number, number[]>,
  seen: Seen, dirSequence: number, maxDepth: number, already = new Set<number>(),
): AsyncGenerator<WalkEntry> {
  if (depth > Limits.maxPathDepth) return;
  for (const n of byParent.get(dir) ?? []) {
    if (already.has(n)) continue;
    const c = deleted.get(n)!;
    for (const fn of c.summary.names) {
      if (fn.namespace === 'dos' || fn.parentRecordNumber !== dir) continue;
      // A deleted directory's sequence was advanced when it was freed.
      if (fn.parentSequence !== dirSequence && fn.parentSequence !== dirSequence - 1) continue;
      if (seen.has(n) && already.has(n)) continue;
      seen.add(n);
      const entry: WalkEntry = { ...c.summary, path: `${path}/${fn.name}`, name: fn.name, namespace: fn.namespace, parentRecordNumber: dir, deleted: true, reallocated: false, orphan: false };
      yield entry;
      if (entry.isDirectory && depth < maxDepth) yield* deletedChildren(volume, n, entry.path, depth + 1, deleted, byParent, seen, c.summary.sequence, maxDepth);
    }
  }
}
