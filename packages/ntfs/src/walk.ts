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
import { reparsePoint, type FileRecord } from './record-view.js';
import { decodeStandardInformation, type StandardInformation } from './layout/standard-information.js';
import { decodeFileName, type FileNameAttribute } from './layout/file-name.js';
import type { ReparsePoint } from './layout/reparse-point.js';
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

/** The root directory's MFT record number. */
export const ROOT_RECORD = 5;

/** The parts of a walk entry that come from the record itself (one pass over the attributes: this is the hot path of a walk). */
export function summarize(record: FileRecord): Omit<WalkEntry, 'path' | 'name' | 'namespace' | 'parentRecordNumber' | 'deleted' | 'reallocated' | 'orphan'> {
  let si: StandardInformation | null = null;
  const names: FileNameAttribute[] = [];
  let reparse: ReparsePoint | null = null;
  let indexRootSize = -1;
  let dataSize = -1;
  let dataVcn = Infinity;
  const streams: WalkEntry['streams'] = [];
  const streamVcn: number[] = [];
  for (const a of record.attributes) {
    switch (a.type) {
      case AttributeType.standardInformation:
        if (!si && a.value) {
          try {
            si = decodeStandardInformation(a.value);
          } catch {
            // too short: reported by stat()
          }
        }
        break;
      case AttributeType.fileName:
        if (a.value) {
          try {
            names.push(decodeFileName(a.value));
          } catch {
            // reported by stat()
          }
        }
        break;
      case AttributeType.reparsePoint:
        reparse = reparsePoint(record);
        break;
      case AttributeType.data:
      case AttributeType.indexRoot: {
        const vcn = a.nonResident ? a.lowestVcn ?? 0 : 0;
        const size = a.nonResident ? a.dataSize ?? 0 : a.value?.length ?? 0;
        if (a.type === AttributeType.data && a.name === '') {
          if (vcn < dataVcn) {
            dataVcn = vcn;
            dataSize = size;
          }
        } else if (a.type === AttributeType.indexRoot && a.name === '$I30') indexRootSize = size;
        else {
          const kind = a.type === AttributeType.data ? 'data' : 'index';
          const i = streams.findIndex((x) => x.name === a.name && x.kind === kind);
          if (i < 0) {
            streams.push({ name: a.name, size, kind });
            streamVcn.push(vcn);
          } else if (vcn < streamVcn[i]) {
            streams[i].size = size;
            streamVcn[i] = vcn;
          }
        }
        break;
      }
    }
  }
  const isDirectory = record.isDirectory || indexRootSize >= 0;
  let type: EntryType = isDirectory ? 'dir' : 'file';
  if (reparse && (reparse.tag === ReparseTag.symlink || reparse.tag === ReparseTag.mountPoint || reparse.tag === ReparseTag.lxSymlink)) type = 'link';
  else if (!isDirectory && si && si.fileAttributes & FileAttribute.device) type = 'other';
  return {
    recordNumber: record.recordNumber,
    sequence: record.sequence,
    type,
    isDirectory,
    size: isDirectory ? Math.max(indexRootSize, 0) : Math.max(dataSize, 0),
    si,
    names,
    streams,
    reparse,
    hasDefaultData: dataSize >= 0,
    hasIndexRoot: indexRootSize >= 0,
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

interface Item {
  entry: WalkEntry;
  /** Directory to descend into after yielding: 'index' (live $I30) or 'deleted' (deleted children only). */
  descend: 'index' | 'deleted' | null;
  /** Sequence the children's parent references carry. */
  childSequence: number;
}

interface Frame {
  dir: number;
  path: string;
  depth: number;
  /** Items ready to yield (one slice of the directory at a time). */
  items: Item[];
  next: number;
  /** $I30 entries not yet turned into items. */
  entries: DirEntry[];
  nextEntry: number;
  /** Deleted children, appended after the last slice. */
  tail: Item[] | null;
}

/**
 * Entries turned into items per slice: few enough that their objects die
 * young (whole-directory batches were promoted to the old generation and made
 * the GC dominate big walks), many enough that records come in one read.
 */
const SLICE = 128;

interface WalkState {
  volume: NtfsVolume;
  deleted: Map<number, DeletedCandidate> | null;
  byParent: Map<number, number[]>;
  seen: Seen;
  maxDepth: number;
}

/** The directory a walk or listing starts at: its record, and its path ('' for the volume root). */
export async function resolveWalkRoot(volume: NtfsVolume, root: string | undefined): Promise<{ rootRecord: number; rootPath: string }> {
  if (!root) return { rootRecord: ROOT_RECORD, rootPath: '' };
  const entry = await volume.resolve(root);
  return { rootRecord: entry.recordNumber, rootPath: entry.path === '/' ? '' : entry.path };
}

/**
 * One async generator over an explicit stack (no recursive generators: each
 * level of `yield*` would add a promise hop per entry on deep walks).
 */
export async function* walkVolume(volume: NtfsVolume, options: WalkOptions): AsyncGenerator<WalkEntry> {
  const { rootRecord, rootPath } = await resolveWalkRoot(volume, options.root);
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
  const state: WalkState = { volume, deleted, byParent, seen, maxDepth };
  yield* runStack(state, await directoryFrame(state, rootRecord, rootPath, 0));
  if (rootRecord !== ROOT_RECORD || maxDepth === 0) return;
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
    if (entry.isDirectory) yield* runStack(state, deletedFrame(state, n, entry.path, 1, c.summary.sequence));
  }
}

async function* runStack(state: WalkState, first: Frame | null): AsyncGenerator<WalkEntry> {
  if (!first) return;
  const stack: Frame[] = [first];
  const ancestors = new Set<number>([first.dir]);
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.next >= top.items.length) {
      if (await refill(state, top)) continue;
      stack.pop();
      ancestors.delete(top.dir);
      continue;
    }
    const item = top.items[top.next++];
    yield item.entry;
    if (!item.descend || top.depth >= state.maxDepth || ancestors.has(item.entry.recordNumber)) continue;
    const frame = item.descend === 'index'
      ? await directoryFrame(state, item.entry.recordNumber, item.entry.path, top.depth + 1)
      : deletedFrame(state, item.entry.recordNumber, item.entry.path, top.depth + 1, item.childSequence);
    if (frame) {
      ancestors.add(frame.dir);
      stack.push(frame);
    }
  }
}

function virtualEntry(path: string, recordNumber: number): WalkEntry {
  return {
    path, name: path.slice(path.lastIndexOf('/') + 1), namespace: 'posix', recordNumber, sequence: 0, parentRecordNumber: ROOT_RECORD,
    type: 'dir', isDirectory: true, deleted: false, reallocated: false, orphan: false, size: 0, si: null, names: [], streams: [], reparse: null,
    hasDefaultData: false, hasIndexRoot: false,
  };
}

/** A live directory: its $I30 entries (records read in one batch), then its deleted children. */
async function directoryFrame(state: WalkState, dir: number, path: string, depth: number): Promise<Frame | null> {
  const { volume } = state;
  if (depth > Limits.maxPathDepth) {
    volume.noteSkipped({ kind: 'directory', record: dir, message: `${path}: deeper than ${Limits.maxPathDepth} directories; not descended` });
    return null;
  }
  let dirRecord: FileRecord;
  let entries: DirEntry[];
  try {
    const own = (await volume.readRecordBatch([dir])).get(dir)!;
    if (own instanceof Error) throw own;
    dirRecord = own;
    // Not the volume's index cache: a walk visits each directory once.
    const index = await DirectoryIndex.open(volume, dirRecord);
    entries = (await index.collect()).filter((e) => e.namespace !== 'dos');
  } catch (error) {
    volume.noteSkipped({ kind: 'directory', record: dir, message: `${path || '/'} (record ${dir}): directory unreadable: ${(error as Error).message}` });
    return null;
  }
  const tail = state.deleted ? deletedItems(state, dir, path, dirRecord.sequence, new Set(entries.map((e) => e.recordNumber))) : null;
  return { dir, path, depth, items: [], next: 0, entries, nextEntry: 0, tail };
}

/** Loads the next slice of a frame's entries (records read in one batch through the MFT chunk cache). */
async function refill(state: WalkState, frame: Frame): Promise<boolean> {
  const { volume } = state;
  frame.items = [];
  frame.next = 0;
  while (frame.items.length === 0 && frame.nextEntry < frame.entries.length) {
    const slice = frame.entries.slice(frame.nextEntry, frame.nextEntry + SLICE);
    frame.nextEntry += slice.length;
    const batch = await volume.readRecordBatch(slice.map((e) => e.recordNumber), true);
    for (const e of slice) {
      const record = batch.get(e.recordNumber);
      if (!record || record instanceof Error) {
        if (record) volume.noteSkipped({ kind: 'record', record: e.recordNumber, message: `${frame.path}: record ${e.recordNumber}: ${record.message}` });
        continue;
      }
      const live = record.inUse && record.sequence === e.sequence;
      if (!live && !state.deleted) continue;
      if (e.recordNumber === frame.dir) continue; // "." style self reference
      state.seen.add(e.recordNumber);
      const summary = summarize(record);
      const entry: WalkEntry = {
        ...summary, path: `${frame.path}/${e.name}`, name: e.name, namespace: e.namespace, parentRecordNumber: frame.dir,
        deleted: !live, reallocated: !live && record.inUse, orphan: false,
      };
      frame.items.push({ entry, descend: live && entry.isDirectory ? 'index' : null, childSequence: record.sequence });
    }
  }
  if (frame.items.length === 0 && frame.tail) {
    frame.items = frame.tail;
    frame.tail = null;
  }
  frame.entries = frame.nextEntry >= frame.entries.length ? [] : frame.entries;
  return frame.items.length > 0;
}

function deletedFrame(state: WalkState, dir: number, path: string, depth: number, dirSequence: number): Frame | null {
  if (!state.deleted || depth > Limits.maxPathDepth) return null;
  return { dir, path, depth, items: deletedItems(state, dir, path, dirSequence, new Set()), next: 0, entries: [], nextEntry: 0, tail: null };
}

/** Deleted records whose $FILE_NAME names `dir` (with its sequence, or the one before it was freed) as parent. */
function deletedItems(state: WalkState, dir: number, path: string, dirSequence: number, already: Set<number>): Item[] {
  const items: Item[] = [];
  const deleted = state.deleted!;
  for (const n of state.byParent.get(dir) ?? []) {
    if (already.has(n)) continue;
    const c = deleted.get(n)!;
    for (const fn of c.summary.names) {
      if (fn.namespace === 'dos' || fn.parentRecordNumber !== dir) continue;
      if (fn.parentSequence !== dirSequence && fn.parentSequence !== dirSequence - 1) continue;
      state.seen.add(n);
      const entry: WalkEntry = { ...c.summary, path: `${path}/${fn.name}`, name: fn.name, namespace: fn.namespace, parentRecordNumber: dir, deleted: true, reallocated: false, orphan: false };
      items.push({ entry, descend: entry.isDirectory ? 'deleted' : null, childSequence: c.summary.sequence });
    }
  }
  return items;
}
