/**
 * The fast listing: the same entries, in the same order, as walkVolume()
 * (walk.ts, which stays the reference: `fls -r -p` order and rules, deleted
 * entries and $OrphanFiles), produced in batches over a RecordTable filled
 * by one sequential $MFT pass (scan-mft.ts) instead of a decoded record and
 * an object per entry. Directory names come from the $I30 trees
 * (DirectoryIndex.collectNames), as the walk reads them.
 *
 * Memory: the table (~51 B of typed arrays per MFT record, plus the names
 * when asked for, plus ~250 B per directory of kept $I30 attributes) and one
 * directory's names per level. Above Limits.maxListRecords records the
 * listing runs over walk() instead, a batch at a time (bounded memory, slower).
 */
import { corrupt, Limits } from '../errors.js';
import { DirectoryIndex, type IndexNameSink } from '../directory.js';
import { resolveWalkRoot, ROOT_RECORD, type WalkOptions } from '../walk.js';
import type { NtfsVolume } from '../volume.js';
import type { WalkEntry } from '../types.js';
import { NAMESPACES, RecordBit, RecordState, RecordTable } from './record-table.js';
import { resolveSlow } from './scan-mft.js';
import { startScan, type MftScan } from './parallel-scan.js';
import { fillFromWalk } from './list-fallback.js';
import { BulkReadSource, uncachedSource } from './mft-reader.js';
import { joinExtents, type FileRecord, type JoinedAttribute } from '../record-view.js';
import { decodeAttribute } from '../codec/decode-record.js';

export interface ListOptions extends WalkOptions {
  /** Also decode every $FILE_NAME (with its times) of records in use: `RecordTable.names` (JSON, timelines). */
  names?: boolean;
  /**
   * Decode the $MFT in a worker thread while the indexes are read and entries handed out here
   * (parallel-scan.ts). Off by default: not measured faster yet on 2 cores. The entries are the same either way.
   */
  parallel?: boolean;
}

/** Bits of `ListBatch.mark`. */
/** Entries per batch (the last may hold fewer; list() checks before each push). */
const BATCH = 4096;

export const ListMark = {
  deleted: 1,
  /** Deleted name whose record has been reused by another file. */
  reallocated: 2,
  /** Found through the MFT only ($OrphanFiles). */
  orphan: 4,
  /** The virtual `/$OrphanFiles` directory (no record: `slot` is -1). */
  virtual: 8,
} as const;

/**
 * Up to BATCH entries, as parallel arrays; each entry's record data is in
 * `table` at index `slot[i]` (the record number, or a batch-local index when
 * the listing runs over walk()). The path of entry i is `dir[i] + '/' +
 * name[i]` (path(i)); kept apart so that no path string is built per entry.
 */
export class ListBatch {
  length = 0;
  /** Path of the directory holding the entry ('' for the root, '/$OrphanFiles' for orphans). */
  readonly dir: string[] = [];
  readonly name: string[] = [];
  /** Namespace code of the name (index into NAMESPACES). */
  namespace: Uint8Array;
  record: Float64Array;
  /** Int32: a table index (< Limits.maxListRecords, or -1), used to index the table's arrays (a double index costs a conversion each time). */
  slot: Int32Array;
  parent: Float64Array;
  mark: Uint8Array;
  /** `capacity`: most entries the batch holds (typed arrays, allocated once). */
  constructor(readonly table: RecordTable, capacity = BATCH) {
    this.namespace = new Uint8Array(capacity);
    this.record = new Float64Array(capacity);
    this.slot = new Int32Array(capacity);
    this.parent = new Float64Array(capacity);
    this.mark = new Uint8Array(capacity);
  }

  /** Path from the volume root, '/'-separated, as walk() gives it. */
  path(i: number): string {
    return `${this.dir[i]}/${this.name[i]}`;
  }

  push(dir: string, name: string, namespace: number, record: number, slot: number, parent: number, mark: number): void {
    const i = this.length++;
    if (i === this.record.length) this.grow();
    this.dir.push(dir);
    this.name.push(name);
    this.namespace[i] = namespace;
    this.record[i] = record;
    this.slot[i] = slot;
    this.parent[i] = parent;
    this.mark[i] = mark;
  }

  /** A push past the capacity (list() may add an entry or two after a full batch): twice the room. */
  private grow(): void {
    const twice = <T extends Uint8Array | Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2 + 1);
      b.set(a as never);
      return b;
    };
    this.namespace = twice(this.namespace);
    this.record = twice(this.record);
    this.slot = twice(this.slot);
    this.parent = twice(this.parent);
    this.mark = twice(this.mark);
  }
}


interface Tail {
  name: string;
  namespace: number;
  record: number;
  childSequence: number;
}

/** Most records of declined directories kept between their resolution and their index's opening. */
const RESOLVED_DIRECTORIES = 1024;

/** Entries looked ahead for the next directory to prefetch. */
const PREFETCH_WINDOW = 256;

interface Loaded {
  frame: Frame;
  dirSequence: number;
  error: Error | null;
}

class Frame implements IndexNameSink {
  /** Index reads started ahead, by entry index (prefetchNext). */
  prefetch: Map<number, Promise<Loaded>> | null = null;
  names: string[] = [];
  namespaces: number[] = [];
  records: number[] = [];
  sequences: number[] = [];
  next = 0;
  tail: Tail[] = [];
  nextTail = 0;
  constructor(readonly dir: number, readonly path: string, readonly depth: number) {}
  add(name: string, namespace: number, recordNumber: number, sequence: number): void {
    // DOS-only 8.3 names are not listed (fls).
    if (namespace === 2) return;
    this.names.push(name);
    this.namespaces.push(namespace);
    // As an int when it is one (the index scanner's arithmetic makes doubles: the array would turn to doubles,
    // and every table index with it).
    this.records.push(recordNumber < 0x80000000 ? recordNumber | 0 : recordNumber);
    this.sequences.push(sequence);
  }
}

/** Every entry of a walk, in batches; see ListBatch. */
export async function* listVolume(volume: NtfsVolume, options: ListOptions): AsyncGenerator<ListBatch> {
  if (volume.recordCount > Limits.maxListRecords) {
    yield* fillFromWalk(volume.walk(options), BATCH);
    return;
  }
  const { rootRecord, rootPath } = await resolveWalkRoot(volume, options.root);
  const scan = startScan(volume, { names: options.names === true, deleted: options.deleted === true }, options.parallel);
  try {
    yield* listScanned(volume, options, scan, rootRecord, rootPath);
  } finally {
    await scan.close();
  }
}

async function* listScanned(volume: NtfsVolume, options: ListOptions, scan: MftScan, rootRecord: number, rootPath: string): AsyncGenerator<ListBatch> {
  const deleted = options.deleted === true;
  const wantNames = options.names === true;
  const count = volume.mft.recordCount;
  // Deleted entries are found through the whole table (parents of deleted records); else records are awaited as listed.
  if (deleted) await scan.ensure(count);
  const table = scan.table;
  const pool = table.names;
  // Children of each directory among deleted records: parent -> candidates (ascending).
  const byParent = new Map<number, number[]>();
  if (deleted) {
    for (let n = 0; n < count; n++) {
      if (!(table.bits[n] & RecordBit.deletedCandidate)) continue;
      for (let s = table.nameStart[n], e = s + table.nameCount[n]; s < e; s++) {
        if (pool.namespace[s] === 2) continue;
        const parent = pool.parent[s];
        const list = byParent.get(parent);
        if (list) {
          if (list[list.length - 1] !== n) list.push(n);
        } else byParent.set(parent, [n]);
      }
    }
  }
  const seen = new Uint8Array((count >> 3) + 1);
  const see = (n: number): void => {
    if (n >= 0 && n < count) seen[n >> 3] |= 1 << (n & 7);
  };
  see(rootRecord);
  const maxDepth = options.recursive === false ? 0 : Limits.maxPathDepth;
  let batch = new ListBatch(table);
  // INDX blocks are read once each: below the block cache (copies and evictions for nothing).
  const indexSource = uncachedSource(volume.source);
  // Reads on this thread (a plain file): one directory is loaded at a time, into one reused buffer
  // (BulkReadSource.recycle), and nothing is read ahead (a read ahead would not overlap anything).
  const oneAtATime = indexSource instanceof BulkReadSource && indexSource.synchronous;

  const deletedTail = (dir: number, path: string, dirSequence: number, already: Set<number> | null): Tail[] => {
    const out: Tail[] = [];
    for (const n of byParent.get(dir) ?? []) {
      if (already?.has(n)) continue;
      for (let s = table.nameStart[n], e = s + table.nameCount[n]; s < e; s++) {
        if (pool.namespace[s] === 2 || pool.parent[s] !== dir) continue;
        const ps = pool.parentSequence[s];
        if (ps !== dirSequence && ps !== dirSequence - 1) continue;
        see(n);
        out.push({ name: pool.names[s], namespace: pool.namespace[s], record: n, childSequence: table.sequence[n] });
      }
    }
    return out;
  };

  /** Directories resolveFrameSlow read in full, until openIndex takes them (bounded). */
  const resolvedDirectories = new Map<number, FileRecord>();

  /**
   * A directory's $I30 index and sequence: from the attributes the scan kept (no record read or
   * decoded), else from its record (the root, opened before the scan reaches it; a declined record;
   * one past the store's cap).
   */
  const openIndex = async (dir: number): Promise<{ index: DirectoryIndex; sequence: number }> => {
    const kept = table.directoryAttributes?.take(dir);
    let attributes: ((type: number) => JoinedAttribute | null) | null = null;
    try {
      if (kept) attributes = attributesByType(kept, dir);
    } catch {
      // Opened from the record below.
    }
    // The same attributes as the record's: fromAttributes throws (and notes) what open() would.
    if (attributes) return { index: await DirectoryIndex.fromAttributes(volume, null, dir, attributes, '$I30', indexSource), sequence: table.sequence[dir] };
    // A record the fast decoder declined (an attribute list) was resolved when its parent was listed.
    let own = resolvedDirectories.get(dir);
    resolvedDirectories.delete(dir);
    if (!own) {
      const read = (await volume.readRecordBatch([dir])).get(dir)!;
      if (read instanceof Error) throw read;
      own = read;
    }
    return { index: await DirectoryIndex.open(volume, own, '$I30', indexSource), sequence: own.sequence };
  };

  /** A directory's $I30 names read into a new frame; errors returned, not noted (a prefetch may run before its turn). */
  const loadIndex = async (dir: number, path: string, depth: number): Promise<Loaded> => {
    const frame = new Frame(dir, path, depth);
    // The previous directory's INDX buffers are dropped by now (its names are strings in its frame).
    if (oneAtATime) (indexSource as BulkReadSource).recycle();
    try {
      const { index, sequence } = await openIndex(dir);
      await index.collectNames(frame);
      return { frame, dirSequence: sequence, error: null };
    } catch (error) {
      return { frame, dirSequence: 0, error: error as Error };
    }
  };

  /** The frame of a live directory; `loading`: its loadIndex() started ahead (see prefetchNext). */
  const directoryFrame = async (dir: number, path: string, depth: number, loading?: Promise<Loaded>): Promise<Frame | null> => {
    if (depth > Limits.maxPathDepth) {
      volume.noteSkipped({ kind: 'directory', record: dir, message: `${path}: deeper than ${Limits.maxPathDepth} directories; not descended` });
      return null;
    }
    const { frame, dirSequence, error } = await (loading ?? loadIndex(dir, path, depth));
    if (error) {
      volume.noteSkipped({ kind: 'directory', record: dir, message: `${path || '/'} (record ${dir}): directory unreadable: ${error.message}` });
      return null;
    }
    if (deleted) frame.tail = deletedTail(dir, path, dirSequence, new Set(frame.records));
    return frame;
  };

  /**
   * Starts reading the index of the next directory of `frame` after entry `i` that the listing will
   * descend into (already scanned, live, a directory, not an ancestor), so that its reads overlap the
   * listing of the current sub-tree. The same directory would be read at its turn anyway.
   */
  const prefetchNext = (frame: Frame, i: number, ancestors: Set<number>): void => {
    if (oneAtATime || frame.depth + 1 > Limits.maxPathDepth || frame.depth >= maxDepth) return;
    const ready = scan.ready;
    for (let j = i + 1, end = Math.min(frame.records.length, i + 1 + PREFETCH_WINDOW); j < end; j++) {
      if (frame.prefetch?.has(j)) return;
      const n = frame.records[j];
      if (n < 0 || n >= ready || n === frame.dir || table.state[n] !== RecordState.ready) continue;
      const bits = table.bits[n];
      if (!(bits & RecordBit.inUse) || table.sequence[n] !== frame.sequences[j] || !(bits & RecordBit.isDirectory) || ancestors.has(n)) continue;
      (frame.prefetch ??= new Map()).set(j, loadIndex(n, `${frame.path}/${frame.names[j]}`, frame.depth + 1));
      return;
    }
  };

  /** Records the fast pass declined among the frame's entries from `from` on (those scanned), resolved in one batch. */
  const resolveFrameSlow = async (frame: Frame, from: number): Promise<void> => {
    const slow: number[] = [];
    const ready = scan.ready;
    for (let j = from; j < frame.records.length; j++) {
      const n = frame.records[j];
      if (n >= 0 && n < ready && table.state[n] === RecordState.slow) slow.push(n);
    }
    for (const [n, record] of await resolveSlow(volume, table, slow, wantNames)) {
      if (!(record instanceof Error) && record.inUse && table.bits[n] & RecordBit.isDirectory && resolvedDirectories.size < RESOLVED_DIRECTORIES) resolvedDirectories.set(n, record);
    }
  };

  const deletedFrame = (dir: number, path: string, depth: number, dirSequence: number): Frame | null => {
    if (!deleted || depth > Limits.maxPathDepth) return null;
    const frame = new Frame(dir, path, depth);
    frame.tail = deletedTail(dir, path, dirSequence, null);
    return frame;
  };

  /** Depth-first over an explicit stack, as walk.ts runStack. */
  async function* run(first: Frame | null): AsyncGenerator<ListBatch> {
    if (!first) return;
    const stack: Frame[] = [first];
    const ancestors = new Set<number>([first.dir]);
    while (stack.length) {
      if (batch.length >= BATCH) {
        yield batch;
        batch = new ListBatch(table);
      }
      const top = stack[stack.length - 1];
      let child: Frame | null = null;
      const canDescend = top.depth < maxDepth;
      // Live $I30 entries first.
      while (top.next < top.records.length && batch.length < BATCH) {
        const i = top.next++;
        const n = top.records[i];
        if (n >= 0 && n < count) {
          // The scan may still be decoding (worker): wait for this record; then resolve the declined ones.
          if (n >= scan.ready) await scan.ensure(n + 1);
          if (table.state[n] === RecordState.slow) await resolveFrameSlow(top, i);
        }
        if (n < 0 || n >= count || table.state[n] === RecordState.error) {
          const error = n >= 0 && n < count ? table.errors.get(n)! : corrupt('NTFS_RECORD_NUMBER', `MFT record ${n} is outside the $MFT (${count} records)`);
          volume.noteSkipped({ kind: 'record', record: n, message: `${top.path}: record ${n}: ${error.message}` });
          continue;
        }
        const bits = table.bits[n];
        const live = (bits & RecordBit.inUse) !== 0 && table.sequence[n] === top.sequences[i];
        if (!live && !deleted) continue;
        if (n === top.dir) continue;
        see(n);
        batch.push(top.path, top.names[i], top.namespaces[i], n, n, top.dir, live ? 0 : bits & RecordBit.inUse ? ListMark.deleted | ListMark.reallocated : ListMark.deleted);
        if (live && bits & RecordBit.isDirectory && canDescend && !ancestors.has(n)) {
          const loading = top.prefetch?.get(i);
          top.prefetch?.delete(i);
          prefetchNext(top, i, ancestors);
          child = await directoryFrame(n, `${top.path}/${top.names[i]}`, top.depth + 1, loading);
          if (child) break;
        }
      }
      // Then the deleted children.
      if (!child && top.next >= top.records.length) {
        while (top.nextTail < top.tail.length && batch.length < BATCH) {
          const t = top.tail[top.nextTail++];
          batch.push(top.path, t.name, t.namespace, t.record, t.record, top.dir, ListMark.deleted);
          if (table.bits[t.record] & RecordBit.isDirectory && canDescend && !ancestors.has(t.record)) {
            child = deletedFrame(t.record, `${top.path}/${t.name}`, top.depth + 1, t.childSequence);
            if (child) break;
          }
        }
        if (!child && top.nextTail >= top.tail.length) {
          stack.pop();
          ancestors.delete(top.dir);
        }
      }
      if (child) {
        ancestors.add(child.dir);
        stack.push(child);
      }
    }
  }

  yield* run(await directoryFrame(rootRecord, rootPath, 0));
  if (rootRecord === ROOT_RECORD && maxDepth > 0) {
    // Orphans: deleted records not reached through a directory (TSK's virtual $OrphanFiles, numbered one past the last record).
    const orphanDir = '/$OrphanFiles';
    batch.push('', '$OrphanFiles', 0, count, -1, ROOT_RECORD, ListMark.virtual);
    if (deleted) {
      for (let n = 0; n < count; n++) {
        if (!(table.bits[n] & RecordBit.deletedCandidate) || seen[n >> 3] & (1 << (n & 7))) continue;
        let s = table.nameStart[n];
        const e = s + table.nameCount[n];
        while (s < e && pool.namespace[s] === 2) s++;
        const has = s < e;
        const name = has ? pool.names[s] : `OrphanFile-${n}`;
        see(n);
        batch.push(orphanDir, name, has ? pool.namespace[s] : 0, n, n, has ? pool.parent[s] : 0, ListMark.deleted | ListMark.orphan);
        if (table.bits[n] & RecordBit.isDirectory) yield* run(deletedFrame(n, `${orphanDir}/${name}`, 1, table.sequence[n]));
        if (batch.length >= BATCH) {
          yield batch;
          batch = new ListBatch(table);
        }
      }
    }
  }
  if (batch.length) yield batch;
}

/**
 * The attribute records a DirectoryAttributeStore kept for record `n` (one after the other), by type,
 * as DirectoryIndex.fromAttributes wants them. Throws what decodeAttribute throws.
 */
function attributesByType(copy: Uint8Array, n: number): (type: number) => JoinedAttribute | null {
  const byType = new Map<number, JoinedAttribute>();
  for (let at = 0; at + 8 <= copy.length; ) {
    const length = copy[at + 4] | (copy[at + 5] << 8) | (copy[at + 6] << 16) | (copy[at + 7] << 24);
    const attribute = decodeAttribute(copy.subarray(at, at + length), n, at);
    byType.set(attribute.type, joinExtents([attribute]));
    at += length;
  }
  return (type) => byType.get(type) ?? null;
}

/** A walk entry from a batch entry (tests, and callers that want objects; costs what walk() costs). */
export function toWalkEntry(batch: ListBatch, i: number): WalkEntry {
  const t = batch.table;
  const n = batch.slot[i];
  const mark = batch.mark[i];
  const time = (k: number): bigint => (BigInt(t.si[n * 8 + 2 * k + 1]) << 32n) | BigInt(t.si[n * 8 + 2 * k]);
  const fnTime = (s: number, k: number): bigint => (BigInt(t.names.times[s * 8 + 2 * k + 1]) << 32n) | BigInt(t.names.times[s * 8 + 2 * k]);
  const virtual = (mark & ListMark.virtual) !== 0;
  const names: WalkEntry['names'] = [];
  if (!virtual) {
    for (let s = t.nameStart[n], e = s + t.nameCount[n]; s < e; s++) {
      names.push({
        parentRecordNumber: t.names.parent[s], parentSequence: t.names.parentSequence[s],
        created: fnTime(s, 0), modified: fnTime(s, 1), mftModified: fnTime(s, 2), accessed: fnTime(s, 3),
        allocatedSize: 0, dataSize: t.names.dataSize[s], flags: 0, reparseTag: 0, namespace: NAMESPACES[t.names.namespace[s]], name: t.names.names[s],
      });
    }
  }
  const bits = virtual ? RecordBit.isDirectory : t.bits[n];
  return {
    path: batch.path(i), name: batch.name[i], namespace: NAMESPACES[batch.namespace[i]], recordNumber: batch.record[i],
    sequence: virtual ? 0 : t.sequence[n], parentRecordNumber: batch.parent[i], type: virtual ? 'dir' : t.entryType(n),
    isDirectory: (bits & RecordBit.isDirectory) !== 0, deleted: (mark & ListMark.deleted) !== 0, reallocated: (mark & ListMark.reallocated) !== 0,
    orphan: (mark & ListMark.orphan) !== 0, size: virtual ? 0 : t.size[n],
    si: !virtual && bits & RecordBit.hasSi ? { created: time(0), modified: time(1), mftModified: time(2), accessed: time(3), fileAttributes: 0 } : null,
    names, streams: virtual ? [] : [...t.streams(n)], reparse: virtual ? null : t.reparse(n),
    hasDefaultData: (bits & RecordBit.hasDefaultData) !== 0, hasIndexRoot: (bits & RecordBit.hasIndexRoot) !== 0,
  };
}
