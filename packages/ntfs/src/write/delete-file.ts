/**
 * Deleting a file the way Windows (and ntfs-3g's ntfs_delete) does:
 *  1. every $FILE_NAME of the file (all hard links; the Win32 and DOS names of
 *     a pair) loses its entry in its parent's $I30 index;
 *  1b. its entries in $Extend\$ObjId:$O and $Extend\$Reparse:$R go too;
 *  2. every cluster of every non-resident attribute (any extent, any record of
 *     its attribute list; sparse runs excluded) is cleared in $Bitmap;
 *  3. the base record and its extension records are freed: in-use flag
 *     cleared, sequence number advanced, link count 0, bit cleared in
 *     $MFT:$BITMAP (attributes stay, so `fls -d` still shows the name);
 *  4. each parent directory's $STANDARD_INFORMATION modification and MFT-change
 *     times are set to now (Windows' NtfsUpdateDirectory; ntfs-3g NTFS_UPDATE_MCTIME);
 *  5. records below $MFTMirr's size are written to both copies;
 *  6. a USN_REASON_FILE_DELETE|CLOSE record is appended to $UsnJrnl:$J when the
 *     journal exists and has room (see usn-journal.ts).
 * Everything is planned in memory first: a refusal leaves the volume untouched.
 *
 * References: ntfs-3g dir.c ntfs_delete, mft.c ntfs_mft_record_free, index.c
 * ntfs_index_remove (read, not copied); NTFS documentation (Russon & Fledel).
 */
import { PreconditionError, UnsupportedError, NotFoundError, viewOf } from '@coldfix/io';
import { compareNamesIgnoreCase, keyName, sameUnits, toUnits } from './collation.js';
import { DirIndex } from './dir-index.js';
import { AttrType, attributeRuns, decodeFileName, decodeRecordHeader, freeRecordInPlace, listAttributes, residentValue } from '../record/record-bytes.js';
import { FileRecordFlag } from '../layout/file-record-header.js';
import { resolvePath, ROOT_RECORD, splitPath } from './resolve-path.js';
import { BitmapEditor, WriteTxn } from './txn.js';
import { recordStoreOf, type VolumeInput } from '../record/volume-source.js';
import { appendUsnRecord } from './usn-journal.js';
import { removeExtendEntries } from './extend-indexes.js';
import { removeAttributes } from './remove-attribute.js';
import { UsnReason } from './usn-record.js';

export interface DeleteResult {
  /** The path as given; `#<record>` for a `{ record, sequence }` target. */
  path: string;
  /** MFT record number of the deleted file and its sequence number before the delete. */
  record: number;
  sequence: number;
  /** Every $FILE_NAME removed from an index (hard links, Win32 and DOS names). */
  names: string[];
  /** 'file': the file is gone (its last name removed); 'name': names removed, the file stays with `linksLeft` links. */
  outcome: 'file' | 'name';
  /** Names the file still has (0 when it is gone). */
  linksLeft: number;
  /** Extension records freed (with the base record when the file went, or left empty by an unlink). */
  extensionRecordsFreed: number[];
  /** Clusters cleared in $Bitmap (sparse runs excluded). */
  clustersFreed: number;
  /** Whether a USN_REASON_FILE_DELETE record went into $UsnJrnl:$J (false: no journal, or no room in its tail). */
  usnAppended: boolean;
  /** Every structure written: `offset` is the byte offset in the volume (not the image), `length` in bytes. */
  changes: { what: string; offset: number; length: number }[];
}

export interface DeleteOptions {
  /** Plan and report without writing. */
  dryRun?: boolean;
  /**
   * A path target removes only the name given, as Windows' DeleteFile does (with its Win32/DOS
   * partner): other hard links stay, the file goes with its last name. Default: every name of the
   * file goes (a file is deleted, as `--record` and the repair's rules do).
   */
  unlinkName?: boolean;
  /** Time stamped into the parent directories and the USN record (default: now). */
  now?: Date;
}

const LAYER = 'ntfs-write';
const FIRST_USER_RECORD = 24;

/** 100-ns intervals since 1601-01-01 UTC. */
export function toFiletime(date: Date): bigint {
  return (BigInt(date.getTime()) + 11644473600000n) * 10000n;
}

async function metadataBitmaps(txn: WriteTxn): Promise<{ mftBitmap: BitmapEditor; clusterBitmap: BitmapEditor }> {
  const mft = (await txn.vol.extents(0)).find((x) => x.attr.type === AttrType.bitmap && x.attr.name === '');
  const bmp = (await txn.vol.extents(6)).find((x) => x.attr.type === AttrType.data && x.attr.name === '');
  if (!mft?.attr.nonResident || !bmp?.attr.nonResident) {
    throw new UnsupportedError('resident $MFT:$BITMAP or $Bitmap is not supported', { code: 'NTFS_RESIDENT_BITMAP', layer: LAYER });
  }
  const mftBitmap = txn.bitmap('$MFT:$BITMAP', () => new BitmapEditor('$MFT:$BITMAP', txn.vol, attributeRuns(mft.rec, mft.attr), mft.attr.dataSize));
  const clusterBitmap = txn.bitmap('$Bitmap', () => new BitmapEditor('$Bitmap', txn.vol, attributeRuns(bmp.rec, bmp.attr), bmp.attr.dataSize));
  return { mftBitmap, clusterBitmap };
}

/** A file named by its MFT reference instead of a path: base record number and its sequence number. */
export interface FileReferenceTarget {
  record: number;
  sequence: number;
}

/** What to delete: a path (`/` or `\\` separators, optional drive letter) or a `{ record, sequence }` reference. */
export type DeleteTarget = string | FileReferenceTarget;

/** Deepest parent chain followed when checking whether a record lives under $Extend. */
const MAX_PARENT_DEPTH = 1024;
const EXTEND_RECORD = 11;

/** Whether any name of the file lies under $Extend (record 11), following $FILE_NAME parents up to the root. */
async function underExtend(txn: WriteTxn, parents: number[]): Promise<boolean> {
  for (let p of parents) {
    for (let depth = 0; depth < MAX_PARENT_DEPTH && p !== ROOT_RECORD; depth++) {
      if (p === EXTEND_RECORD) return true;
      const rec = await txn.record(p);
      const fn = listAttributes(rec, p).find((a) => a.type === AttrType.fileName && !a.nonResident);
      if (!fn) break;
      p = decodeFileName(residentValue(rec, fn)).parentRecord;
    }
  }
  return false;
}

/**
 * Deletes the file named by `target` (all its names) from `volume`, opened over a
 * WritableByteSource (normally a journaled one). `target` is a path, or a
 * `{ record, sequence }` file reference: the way to reach names a path cannot
 * express (a `\\` or `/` inside a name, names with characters lost in transit).
 * @throws NotFoundError when the path does not exist (NTFS_PATH_NOT_FOUND), the record is
 *   not in use (NTFS_RECORD_NOT_IN_USE) or outside $MFT (NTFS_RECORD_OUT_OF_RANGE), or the
 *   record's sequence number differs from `target.sequence` (NTFS_SEQUENCE_MISMATCH: the
 *   record was freed and reused since the reference was taken);
 *   PreconditionError NTFS_DELETE_SYSTEM_FILE for metadata (records below 24, anything under $Extend);
 *   UnsupportedError for a directory, an extension record or an index that would need a split;
 *   PreconditionError when the source is read-only; CorruptError on bad structures.
 */
export async function deleteFile(volume: VolumeInput, target: DeleteTarget, options: DeleteOptions = {}): Promise<DeleteResult> {
  const { files, changes } = await deleteFiles(volume, [target], options);
  return { ...files[0], changes };
}

/** What a batch delete did: one entry per target, and every structure written for all of them. */
export interface DeleteBatchResult {
  files: Omit<DeleteResult, 'changes'>[];
  /** Every structure written by the batch (each written once, with the edits of every file in it). */
  changes: DeleteResult['changes'];
}

/**
 * Deletes several files in one transaction: one RecordStore, one $UpCase, one plan in memory, then one
 * commit that writes each changed structure once (a directory block, a bitmap byte, a record shared
 * by two deletes is written once with both edits), so the journaled source below sees one batch of
 * writes. All or nothing: any target refused (see deleteFile) refuses the whole batch before
 * anything is written. Targets naming the same record twice are refused the second time
 * (NTFS_RECORD_NOT_IN_USE).
 * @throws as deleteFile.
 */
export async function deleteFiles(volume: VolumeInput, targets: DeleteTarget[], options: DeleteOptions = {}): Promise<DeleteBatchResult> {
  const vol = await recordStoreOf(volume);
  const source = vol.source;
  const upcase = await vol.upcase();
  const txn = new WriteTxn(vol);
  const now = toFiletime(options.now ?? new Date());
  const files: Omit<DeleteResult, 'changes'>[] = [];
  for (const target of targets) files.push(await planDelete(txn, upcase, target, now, options.unlinkName === true));
  const changes = await txn.commit(source, options.dryRun === true);
  return { files, changes };
}

/** Plans the delete of one file inside `txn` (nothing written). */
async function planDelete(txn: WriteTxn, upcase: Uint16Array, target: DeleteTarget, now: bigint, unlinkName: boolean): Promise<Omit<DeleteResult, 'changes'>> {
  const vol = txn.vol;
  const byReference = typeof target !== 'string';
  const path = byReference ? `#${target.record}` : target;
  let record: number;
  let named: { parent: number; name: string; namespace: number } | null = null;
  if (byReference) {
    record = target.record;
    if (!Number.isSafeInteger(record) || record < 0 || record >= vol.recordCount) {
      throw new NotFoundError(`MFT record ${record} is outside $MFT (${vol.recordCount} records)`, { code: 'NTFS_RECORD_OUT_OF_RANGE', layer: LAYER, details: { record, count: vol.recordCount } });
    }
  } else {
    const found = await resolvePath(txn, target, upcase);
    record = found.record;
    if (unlinkName) named = found;
  }
  const first = byReference ? '' : (splitPath(target)[0] ?? '');
  if (record < FIRST_USER_RECORD || compareNamesIgnoreCase(toUnits(first), toUnits('$Extend'), upcase) === 0) {
    throw new PreconditionError(`${path} is NTFS metadata (record ${record}); refusing to delete it`, { code: 'NTFS_DELETE_SYSTEM_FILE', layer: LAYER, details: { record } });
  }
  const base = await txn.record(record);
  const header = decodeRecordHeader(base, record);
  if (!(header.flags & FileRecordFlag.inUse)) throw new NotFoundError(`${path}: record ${record} is not in use`, { code: 'NTFS_RECORD_NOT_IN_USE', layer: LAYER, details: { record } });
  if (byReference && header.sequence !== target.sequence) {
    throw new NotFoundError(`record ${record} has sequence number ${header.sequence}, not ${target.sequence}: the file referenced is gone (record reused)`, {
      code: 'NTFS_SEQUENCE_MISMATCH', layer: LAYER, details: { record, expected: target.sequence, found: header.sequence },
    });
  }
  if (header.baseRecord !== 0) throw new UnsupportedError(`${path}: index points at extension record ${record}`, { code: 'NTFS_DELETE_EXTENSION', layer: LAYER });
  if (header.flags & FileRecordFlag.directory) throw new UnsupportedError(`${path} is a directory; only files are deleted`, { code: 'NTFS_DELETE_DIRECTORY', layer: LAYER, details: { record } });
  const extents = await txn.extents(record);

  // 1. Index entries of the names removed, grouped by parent directory: every name of the file, or
  // (unlink) the name given and its Win32/DOS partner in the same directory.
  const all = extents.filter((x) => x.attr.type === AttrType.fileName && !x.attr.nonResident)
    .map((x) => ({ ...decodeFileName(residentValue(x.rec, x.attr)), record: x.record, instance: x.attr.instance }));
  if (byReference && (await underExtend(txn, all.map((n) => n.parentRecord)))) {
    throw new PreconditionError(`${path} is NTFS metadata (under $Extend); refusing to delete it`, { code: 'NTFS_DELETE_SYSTEM_FILE', layer: LAYER, details: { record } });
  }
  const names = named ? namesOfLink(all, named) : all;
  if (named && !names.length) {
    throw new NotFoundError(`${path}: record ${record} has no $FILE_NAME ${JSON.stringify(named.name)} in directory ${named.parent}`, {
      code: 'NTFS_DELETE_NAME_NOT_FOUND', layer: LAYER, details: { record, parent: named.parent, name: named.name },
    });
  }
  const wholeFile = names.length === all.length;
  const byParent = new Map<number, typeof names>();
  for (const n of names) byParent.set(n.parentRecord, [...(byParent.get(n.parentRecord) ?? []), n]);
  for (const [parent, list] of byParent) {
    const edit = async (preferPredecessor: boolean): Promise<void> => {
      const index = await DirIndex.open(txn, parent);
      for (const n of list) {
        const units = toUnits(n.name);
        const found = await index.editor.find(
          // Ignoring case while descending: names that differ only in case (POSIX namespace) may be
          // ordered either way on disk; `find` explores both sides of equal keys and the predicate picks the entry.
          (key) => compareNamesIgnoreCase(units, keyName(key), upcase),
          (e) => Number(e.fileRef & 0xffffffffffffn) === record && sameUnits(keyName(e.key), units) && e.key[0x41] === n.namespace,
        );
        if (!found) {
          throw new NotFoundError(`no index entry for name ${n.name} of record ${record} in directory ${parent}`, {
            code: 'NTFS_DELETE_NAME_NOT_INDEXED', layer: LAYER, details: { record, parent, name: n.name },
          });
        }
        await index.editor.remove(found, preferPredecessor);
      }
      await index.flush();
    };
    try {
      await edit(false);
    } catch (e) {
      // The successor did not fit the internal node: the predecessor may (nothing was written yet).
      if ((e as { code?: string }).code !== 'NTFS_INDEX_SPLIT_NEEDED') throw e;
      await edit(true);
    }
    // 4. Parent times ($STANDARD_INFORMATION 0x08 modified, 0x10 MFT changed).
    const prec = await txn.record(parent);
    const si = listAttributes(prec, parent).find((a) => a.type === AttrType.standardInformation && !a.nonResident);
    if (si && si.valueLength >= 0x20) {
      const v = viewOf(residentValue(prec, si));
      v.setBigUint64(0x08, now, true);
      v.setBigUint64(0x10, now, true);
      txn.touchRecord(parent);
    }
  }

  const { mftBitmap, clusterBitmap } = await metadataBitmaps(txn);
  if (!wholeFile) {
    // Unlink: the names leave their records (and the attribute list); the file stays with its other names.
    const extensionRecordsFreed = await removeAttributes(txn, record, names.map((n) => ({ record: n.record, instance: n.instance, type: AttrType.fileName })), mftBitmap);
    const base = await txn.record(record);
    const v = viewOf(base);
    // The link count counts directory entries, a DOS name's as well (what ntfs-3g writes: a file with
    // a Win32 name, its DOS name and one more link has 3).
    v.setUint16(0x12, Math.max(0, v.getUint16(0x12, true) - names.length), true);
    const si = listAttributes(base, record).find((a) => a.type === AttrType.standardInformation && !a.nonResident);
    if (si && si.valueLength >= 0x20) viewOf(residentValue(base, si)).setBigUint64(0x10, now, true);
    txn.touchRecord(record);
    const first = names[0];
    const usnAppended = await appendUsnRecord(txn, {
      record, sequence: header.sequence, parent: first.parentRecord, parentSequence: first.parentSequence,
      name: (names.find((n) => n.namespace !== FILE_NAME_DOS) ?? first).name, fileAttributes: first.fileAttributes, now,
      reason: UsnReason.hardLinkChange | UsnReason.close,
    });
    return { path, record, sequence: header.sequence, names: names.map((n) => n.name), outcome: 'name', linksLeft: all.length - names.length, extensionRecordsFreed, clustersFreed: 0, usnAppended };
  }

  // 1b. $Extend indexes ($ObjId:$O, $Reparse:$R).
  await removeExtendEntries(txn, record, header.sequence, extents);

  // 2. Clusters.
  let clustersFreed = 0;
  for (const x of extents) {
    if (!x.attr.nonResident) continue;
    for (const run of attributeRuns(x.rec, x.attr)) {
      if (run.lcn === null) continue;
      if (run.lcn + run.length > vol.geometry.totalClusters + 1) {
        throw new UnsupportedError(`record ${x.record}: run beyond the volume end`, { code: 'NTFS_RUN_OUTSIDE_VOLUME', layer: LAYER, details: { lcn: run.lcn, length: run.length } });
      }
      clustersFreed += await clusterBitmap.clear(run.lcn, run.length);
    }
  }

  // 3. Records.
  const records = [record, ...new Set(extents.map((x) => x.record).filter((r) => r !== record))];
  for (const r of records) {
    const rec = await txn.record(r);
    freeRecordInPlace(rec);
    txn.touchRecord(r);
    await mftBitmap.clear(r, 1);
  }

  // 6. $UsnJrnl.
  const usnAppended = await appendUsnRecord(txn, {
    record, sequence: header.sequence, parent: names[0]?.parentRecord ?? 5, parentSequence: names[0]?.parentSequence ?? 5,
    name: (names.find((n) => n.namespace !== 2) ?? names[0])?.name ?? '', fileAttributes: names[0]?.fileAttributes ?? 0, now,
  });

  return { path, record, sequence: header.sequence, names: names.map((n) => n.name), outcome: 'file', linksLeft: 0, extensionRecordsFreed: records.slice(1), clustersFreed, usnAppended };
}

const FILE_NAME_WIN32 = 1;
const FILE_NAME_DOS = 2;

/**
 * The $FILE_NAMEs one link stands for: the name given, and with a Win32 name the DOS name of the
 * same directory (or with a DOS name its Win32 name), as DeleteFile removes a pair together.
 */
function namesOfLink<N extends { parentRecord: number; name: string; namespace: number }>(all: N[], link: { parent: number; name: string; namespace: number }): N[] {
  const hit = all.find((n) => n.parentRecord === link.parent && n.name === link.name && n.namespace === link.namespace);
  if (!hit) return [];
  const partner = hit.namespace === FILE_NAME_WIN32 ? FILE_NAME_DOS : hit.namespace === FILE_NAME_DOS ? FILE_NAME_WIN32 : -1;
  const partners = all.filter((n) => n !== hit && n.parentRecord === hit.parentRecord && n.namespace === partner);
  // A DOS name pairs with a Win32 name only when the directory holds one of each for the file.
  return partners.length === 1 ? [hit, partners[0]] : [hit];
}
