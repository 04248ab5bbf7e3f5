/**
 * NtfsVolume: an NTFS volume over a ByteSource, read side.
 *
 * References: libfsntfs "New Technologies File System (NTFS)" format document;
 * ntfs-3g (layout.h, mft.c, attrib.c, index.c, dir.c); The Sleuth Kit
 * (tsk/fs/ntfs.c, ntfs_dent.cpp) for what `fls` lists. Read, never copied.
 *
 *   boot sector ─▶ $MFT record 0 ─▶ $MFT runlist (+ attribute list) ─▶ Mft (chunk cache)
 *      ─▶ readRecord(n) (fixups, attribute list resolved) ─▶ streams / $I30 trees
 */
import { mapLimitSettled, MemorySource, type ByteSource } from '@coldfix/io';
import { corrupt, limit, notFound, Limits } from './errors.js';
import { decodeBootSector, type BootSector } from './layout/boot-sector.js';
import { decodeRecord, hasRecordSignature } from './codec/decode-record.js';
import { decodeAttributeList, type AttributeListEntry } from './layout/attribute-list-entry.js';
import { AttributeType } from './layout/attribute-types.js';
import { decodeVolumeInformation, VolumeFlag } from './layout/volume-information.js';
import { AttributeStream } from './attribute-stream.js';
import { Mft } from './mft.js';
import { UpcaseTable } from './codec/upcase.js';
import { findAttribute, joinExtents, type FileRecord, type JoinedAttribute } from './record-view.js';
import { resolveAttributeList } from './record/attribute-list.js';
import { DirectoryIndex } from './directory.js';
import { walkVolume, type WalkOptions } from './walk.js';
import { listVolume, type ListBatch, type ListOptions } from './list/list-volume.js';
import { describeRecord } from './details.js';
import type { DirEntry, NtfsEntry, RecordDetails, WalkEntry } from './types.js';

export const ROOT_RECORD = 5;
const RECORD_CACHE_ENTRIES = 4096;
const MAX_ANOMALIES = 1000;

/** One thing a reader could not read and left out (NtfsVolume.skipped). */
export interface SkippedItem {
  kind: 'record' | 'index-block' | 'directory';
  /** The record skipped, or the directory whose index block or listing was skipped. */
  record: number;
  message: string;
}

export interface OpenOptions {
  /** Turn tolerated oddities (anomalies) into errors. */
  strict?: boolean;
  /** MFT chunk cache size in bytes (default 32 MiB). */
  mftCacheBytes?: number;
}

export class NtfsVolume {
  readonly clusterSize: number;
  readonly recordSize: number;
  readonly indexBlockSize: number;
  readonly sectorSize: number;
  volumeName = '';
  version = '';
  dirty = false;
  volumeFlags = 0;
  readonly serial: string;
  readonly anomalies: string[] = [];
  /**
   * What a reader had to leave out of an answer (a record, an INDX block, a directory): each is also an
   * anomaly. A listing or scan that added any is incomplete (the CLI warns and exits non-zero).
   * At most MAX_ANOMALIES kept; `skippedCount` counts them all.
   */
  readonly skipped: SkippedItem[] = [];
  skippedCount = 0;
  readonly strict: boolean;
  /** @internal */ mft!: Mft;
  private readonly records = new Map<number, FileRecord>();
  private readonly indexes = new Map<number, DirectoryIndex>();
  private upcaseTable: UpcaseTable | null = null;

  private constructor(
    readonly source: ByteSource,
    readonly boot: BootSector,
    options: OpenOptions,
  ) {
    this.clusterSize = boot.clusterSize;
    this.recordSize = boot.recordSize;
    this.indexBlockSize = boot.indexBlockSize;
    this.sectorSize = boot.bytesPerSector;
    this.serial = boot.serial;
    this.strict = options.strict ?? false;
  }

  /**
   * Opens the NTFS volume on `source` (the volume itself, not a disk).
   * Throws CorruptError when it is not NTFS or damaged beyond use; tolerable
   * oddities land in `anomalies` (or throw with `strict`).
   */
  static async open(source: ByteSource, options: OpenOptions = {}): Promise<NtfsVolume> {
    if (source.size < 512) throw corrupt('NTFS_TOO_SMALL', `source of ${source.size} bytes cannot hold an NTFS volume`);
    const primaryBytes = await source.read(0, 512);
    let boot: BootSector;
    let usedBackup = false;
    try {
      boot = decodeBootSector(primaryBytes);
    } catch (error) {
      // The backup boot sector sits in the last sector of the partition.
      const backupOffset = Math.floor(source.size / 512) * 512 - 512;
      try {
        if (backupOffset <= 0) throw error;
        boot = decodeBootSector(await source.read(backupOffset, 512), backupOffset);
        usedBackup = true;
      } catch {
        throw error;
      }
    }
    const volume = new NtfsVolume(source, boot, options);
    if (usedBackup) volume.note('primary boot sector unusable; opened through the backup in the last sector');
    if (boot.volumeSize > source.size) volume.note(`boot sector declares ${boot.volumeSize} bytes but the source holds ${source.size}`);
    else if (!usedBackup && boot.volumeSize + 512 <= source.size) {
      const backup = await source.read(boot.volumeSize, 512);
      if (!equalBytes(backup, primaryBytes)) volume.note(`backup boot sector at 0x${boot.volumeSize.toString(16)} differs from the primary`);
    }
    await volume.loadMft(options.mftCacheBytes);
    await volume.loadVolumeInformation();
    await volume.compareMirror();
    return volume;
  }

  /** @internal Records something a reader skipped (an anomaly too; throws in strict mode). */
  noteSkipped(item: SkippedItem): void {
    this.note(item.message);
    this.skippedCount++;
    if (this.skipped.length < MAX_ANOMALIES) this.skipped.push(item);
  }

  /** @internal Records an anomaly (throws in strict mode). */
  note(message: string): void {
    if (this.strict) throw corrupt('NTFS_ANOMALY', message);
    if (this.anomalies.length < MAX_ANOMALIES) this.anomalies.push(message);
  }

  private async loadMft(cacheBytes?: number): Promise<void> {
    const { clusterSize, recordSize, mftLcn } = this.boot;
    const offset = mftLcn * clusterSize;
    if (offset + recordSize > this.source.size) throw corrupt('NTFS_MFT_OUTSIDE', `$MFT at 0x${offset.toString(16)} lies past the end of the source`, offset);
    const raw = await this.source.read(offset, recordSize);
    const record0 = decodeRecord(raw, 0, offset);
    const data0 = record0.attributes.filter((a) => a.type === AttributeType.data && a.name === '' && a.nonResident);
    const first = data0.find((a) => a.lowestVcn === 0);
    if (!first?.runs?.length) throw corrupt('NTFS_MFT_NO_DATA', '$MFT record 0 has no usable unnamed $DATA runlist', offset);
    let runs = [...first.runs];
    const dataSize = first.dataSize ?? 0;
    const initializedSize = first.initializedSize ?? dataSize;
    if (dataSize < recordSize * 16) throw corrupt('NTFS_MFT_SIZE', `$MFT data size ${dataSize} is below 16 records`, offset);
    this.mft = new Mft(this.source, clusterSize, recordSize, runs, dataSize, initializedSize, cacheBytes, this.boot.volumeSize);
    // $MFT with an attribute list: the other $DATA extents live in extension records, which the
    // runs known so far must reach (TSK ntfs.c design note); resolved by the one rule
    // (record/attribute-list.ts), the runs growing as each extension record is read.
    const listAttr = record0.attributes.find((a) => a.type === AttributeType.attributeList);
    if (!listAttr) return;
    const listValue = listAttr.value ?? (await this.readNonResident(joinExtents([listAttr]), Limits.maxAttributeListSize));
    const entries = decodeAttributeList(listValue);
    const isDataExtent = (n: number, id: number): boolean => entries.some((e) => e.type === AttributeType.data && e.name === '' && e.recordNumber === n && e.attributeId === id);
    await resolveAttributeList(0, record0.attributes, entries, {
      idOf: (a) => a.id,
      loadExtension: async (n) => {
        const ext = decodeRecord(await this.mft.readRaw(n), n);
        for (const a of ext.attributes) {
          if (a.type !== AttributeType.data || a.name !== '' || !a.nonResident || !a.runs || !isDataExtent(n, a.id)) continue;
          runs = [...runs, ...a.runs].sort((x, y) => x.vcn - y.vcn);
          this.mft = new Mft(this.source, clusterSize, recordSize, runs, dataSize, initializedSize, cacheBytes, this.boot.volumeSize);
        }
        return { attributes: ext.attributes, baseRecord: ext.baseRecordNumber };
      },
      problem: (message) => this.note(`$MFT: ${message}`),
    });
  }

  private async loadVolumeInformation(): Promise<void> {
    try {
      const record = await this.readRecord(3);
      const name = record.attributes.find((a) => a.type === AttributeType.volumeName);
      if (name?.value) {
        let s = '';
        for (let i = 0; i + 1 < name.value.length; i += 2) s += String.fromCharCode(name.value[i] | (name.value[i + 1] << 8));
        this.volumeName = s;
      }
      const info = record.attributes.find((a) => a.type === AttributeType.volumeInformation);
      if (info?.value) {
        const decoded = decodeVolumeInformation(info.value);
        this.version = `${decoded.majorVersion}.${decoded.minorVersion}`;
        this.volumeFlags = decoded.flags;
        this.dirty = (decoded.flags & VolumeFlag.dirty) !== 0;
      } else this.note('$Volume has no $VOLUME_INFORMATION');
    } catch (error) {
      this.note(`$Volume unreadable: ${(error as Error).message}`);
    }
  }

  /** Compares $MFTMirr with the first records of $MFT (ntfs-3g mft mirror check). */
  private async compareMirror(): Promise<void> {
    try {
      const count = Math.max(4, Math.floor(this.clusterSize / this.recordSize));
      const mirrOffset = this.boot.mftMirrLcn * this.clusterSize;
      if (mirrOffset + count * this.recordSize > this.source.size) {
        this.note('$MFTMirr lies past the end of the source');
        return;
      }
      const mirror = await this.source.read(mirrOffset, 4 * this.recordSize);
      const main = await this.mft.readRange(0, 4);
      for (let i = 0; i < 4; i++) {
        const a = main.subarray(i * this.recordSize, (i + 1) * this.recordSize);
        const b = mirror.subarray(i * this.recordSize, (i + 1) * this.recordSize);
        if (!equalBytes(a, b)) this.note(`$MFTMirr record ${i} differs from $MFT record ${i}`);
      }
    } catch (error) {
      this.note(`$MFTMirr unreadable: ${(error as Error).message}`);
    }
  }

  /** Number of records the $MFT holds. */
  get recordCount(): number {
    return this.mft.recordCount;
  }

  /**
   * Reads MFT record `n` with fixups applied and, for a base record with an
   * attribute list, every extension record's attributes joined into one view.
   * Throws CorruptError (NTFS_RECORD_*) for a record that is not one.
   */
  async readRecord(recordNumber: number): Promise<FileRecord> {
    return this.readRecordCached(recordNumber, true);
  }

  /** @internal `cache: false` for scans: a walk's records would only churn the LRU (and the GC). */
  async readRecordCached(recordNumber: number, cache: boolean): Promise<FileRecord> {
    const cached = this.records.get(recordNumber);
    if (cached) {
      this.records.delete(recordNumber);
      this.records.set(recordNumber, cached);
      return cached;
    }
    const record = await this.loadRecord(recordNumber);
    if (!cache) return record;
    this.records.set(recordNumber, record);
    if (this.records.size > RECORD_CACHE_ENTRIES) this.records.delete(this.records.keys().next().value as number);
    return record;
  }

  /**
   * Reads many records at once (sorted, grouped by 1 MiB MFT chunk: one read
   * and one buffer per chunk, records are views into it). Not cached; for
   * walks and scans. Failed records map to their error. @internal
   */
  async readRecordBatch(recordNumbers: number[], useCache = false): Promise<Map<number, FileRecord | Error>> {
    const out = new Map<number, FileRecord | Error>();
    const sorted: number[] = [];
    for (const n of [...new Set(recordNumbers)].sort((a, b) => a - b)) {
      // Each out-of-range number fails alone (not the records sharing its chunk).
      if (!Number.isSafeInteger(n) || n < 0 || n >= this.mft.recordCount) out.set(n, corrupt('NTFS_RECORD_NUMBER', `MFT record ${n} is outside the $MFT (${this.mft.recordCount} records)`));
      else sorted.push(n);
    }
    const perChunk = Math.max(1, Math.floor((1 << 20) / this.recordSize));
    const groups: { i: number; j: number; dense: boolean }[] = [];
    for (let i = 0, j = 0; i < sorted.length; i = j) {
      const chunk = Math.floor(sorted[i] / perChunk);
      while (j < sorted.length && Math.floor(sorted[j] / perChunk) === chunk) j++;
      groups.push({ i, j, dense: !useCache || (j - i) * 4 >= sorted[j - 1] - sorted[i] + 1 });
    }
    // A sparse group (a big directory's records in name order) is read record by record, each alone
    // and past the chunk cache, several at once: copying a whole span for a few records made such walks
    // quadratic, and going through the cache re-read the same chunks as it cycled (ntfs-bigdir: 70k
    // records in name order over a 68.5 MiB $MFT read 603 MiB).
    const lone = groups.filter((g) => !g.dense).flatMap((g) => sorted.slice(g.i, g.j));
    const reads = await mapLimitSettled(lone, SCATTERED_READS_AT_ONCE, (n) => this.mft.readUncached(n));
    const scattered = new Map(lone.map((n, k) => [n, reads[k]]));
    for (const { i, j, dense } of groups) {
      const first = sorted[i];
      const last = sorted[j - 1];
      let bytes: Uint8Array | null = null;
      if (dense) {
        try {
          // Straight from the stream: a walk reads each chunk about once, so caching would only add copies.
          bytes = await (useCache ? this.mft.cache : this.mft.stream).read(first * this.recordSize, (last - first + 1) * this.recordSize);
        } catch (error) {
          for (let k = i; k < j; k++) out.set(sorted[k], error as Error);
          continue;
        }
      }
      for (let k = i; k < j; k++) {
        const n = sorted[k];
        let raw: Uint8Array;
        if (bytes) raw = bytes.subarray((n - first) * this.recordSize, (n - first + 1) * this.recordSize);
        else {
          const read = scattered.get(n)!;
          if (read.status === 'rejected') {
            out.set(n, read.reason as Error);
            continue;
          }
          raw = read.value;
        }
        try {
          const decoded = decodeRecord(raw, n);
          const record: FileRecord = { ...decoded, attributeList: null, extensionRecords: [], bytes: raw, extents: [] };
          for (const a of decoded.anomalies) this.note(a);
          const listAttr = decoded.baseRecordNumber === 0 ? decoded.attributes.find((a) => a.type === AttributeType.attributeList) : undefined;
          if (listAttr) await this.resolveAttributeList(record, listAttr.value ?? (await this.readNonResident(joinExtents([listAttr]), Limits.maxAttributeListSize)));
          out.set(n, record);
        } catch (error) {
          out.set(n, error as Error);
        }
      }
    }
    return out;
  }

  /** Decodes a raw record without the attribute list (scans use it). @internal */
  decodeRaw(raw: Uint8Array, recordNumber: number): FileRecord {
    const decoded = decodeRecord(raw, recordNumber);
    return { ...decoded, attributeList: null, extensionRecords: [], bytes: raw, extents: [] };
  }

  private async loadRecord(recordNumber: number): Promise<FileRecord> {
    const raw = await this.mft.readRaw(recordNumber);
    const extents = this.mft.recordExtents(recordNumber);
    const decoded = decodeRecord(raw, recordNumber, extents[0]?.offset);
    const record: FileRecord = { ...decoded, attributeList: null, extensionRecords: [], bytes: raw, extents };
    for (const a of decoded.anomalies) this.note(a);
    const listAttr = decoded.baseRecordNumber === 0 ? decoded.attributes.find((a) => a.type === AttributeType.attributeList) : undefined;
    if (listAttr) await this.resolveAttributeList(record, listAttr.value ?? (await this.readNonResident(joinExtents([listAttr]), Limits.maxAttributeListSize)));
    return record;
  }

  /** Joins the attributes the list places in extension records (record/attribute-list.ts: the one rule). */
  private async resolveAttributeList(record: FileRecord, value: Uint8Array): Promise<void> {
    let entries: AttributeListEntry[];
    try {
      entries = decodeAttributeList(value);
    } catch (error) {
      this.note(`record ${record.recordNumber}: ${(error as Error).message}`);
      return;
    }
    record.attributeList = entries;
    const resolved = await resolveAttributeList(record.recordNumber, record.attributes, entries, {
      idOf: (a) => a.id,
      loadExtension: async (n) => {
        const decoded = decodeRecord(await this.mft.readRaw(n), n);
        return { attributes: decoded.attributes, baseRecord: decoded.baseRecordNumber };
      },
      problem: (message) => this.note(message),
    });
    record.extensionRecords.push(...resolved.extensionRecords);
    record.attributes = resolved.attributes.map((p) => p.attr);
  }

  /** The volume's $UpCase table (record 10), loaded once. */
  async upcase(): Promise<UpcaseTable> {
    if (this.upcaseTable) return this.upcaseTable;
    // Callers running side by side share one load.
    this.upcaseLoad ??= this.loadUpcase().finally(() => {
      this.upcaseLoad = null;
    });
    return this.upcaseLoad;
  }

  private upcaseLoad: Promise<UpcaseTable> | null = null;

  private async loadUpcase(): Promise<UpcaseTable> {
    const record = await this.readRecord(10);
    const data = findAttribute(record, AttributeType.data, '');
    if (!data) throw corrupt('NTFS_UPCASE_MISSING', '$UpCase has no $DATA');
    const bytes = data.resident ? data.value ?? new Uint8Array(0) : await this.readNonResident(data, Limits.upcaseUnits * 2);
    if (bytes.length !== Limits.upcaseUnits * 2) this.note(`$UpCase holds ${bytes.length} bytes, expected 131072`);
    this.upcaseTable = UpcaseTable.fromBytes(bytes);
    return this.upcaseTable;
  }

  /** @internal A ByteSource over a joined attribute. */
  attributeSource(attribute: JoinedAttribute, label: string, source: ByteSource = this.source): ByteSource {
    if (attribute.resident) return new MemorySource((attribute.value ?? new Uint8Array(0)).slice(), { identity: label });
    if (attribute.encrypted) this.note(`${label} is EFS-encrypted: raw ciphertext returned`);
    // Windows uses 16-cluster units (value 4); anything past 64 KiB x 2^8 is corruption, not a size to allocate.
    if (attribute.compressed && attribute.compressionUnit > 8) throw corrupt('NTFS_COMPRESSION_UNIT', `${label}: compression unit 2^${attribute.compressionUnit} clusters`);
    return new AttributeStream(source, {
      clusterSize: this.clusterSize,
      runs: attribute.runs,
      dataSize: attribute.dataSize,
      initializedSize: Math.min(attribute.initializedSize, attribute.dataSize),
      compressionUnit: attribute.compressed ? attribute.compressionUnit || 4 : 0,
      label,
      volumeSize: this.boot.volumeSize,
    });
  }

  /** @internal Reads a whole non-resident attribute, refusing above `max` bytes. */
  async readNonResident(attribute: JoinedAttribute, max: number): Promise<Uint8Array> {
    if (attribute.dataSize > max) throw limit('NTFS_ATTRIBUTE_TOO_LARGE', `attribute 0x${attribute.type.toString(16)} of ${attribute.dataSize} bytes exceeds ${max}`);
    const source = this.attributeSource(attribute, `attribute 0x${attribute.type.toString(16)}`);
    return source.read(0, source.size);
  }

  /**
   * A stream of record `n`: the unnamed $DATA by default, or the named one.
   * Compressed, sparse and partly initialised streams read exactly.
   * Throws NotFoundError when the record has no such stream.
   */
  async openStream(recordNumber: number, streamName = ''): Promise<ByteSource> {
    const record = await this.readRecord(recordNumber);
    const data = findAttribute(record, AttributeType.data, streamName);
    if (!data) throw notFound('NTFS_STREAM_NOT_FOUND', `record ${recordNumber} has no $DATA stream ${JSON.stringify(streamName)}`, { recordNumber, stream: streamName });
    return this.attributeSource(data, `record ${recordNumber}${streamName ? `:${streamName}` : ''}`);
  }

  /** @internal The $I30 index of a directory record. */
  async directoryIndex(recordNumber: number): Promise<DirectoryIndex> {
    const record = await this.readRecord(recordNumber);
    const cached = this.indexes.get(recordNumber);
    if (cached && cached.record === record) return cached;
    const index = await DirectoryIndex.open(this, record);
    // Small LRU: path resolution revisits the same few directories.
    this.indexes.delete(recordNumber);
    this.indexes.set(recordNumber, index);
    if (this.indexes.size > 8) this.indexes.delete(this.indexes.keys().next().value as number);
    return index;
  }

  /** The $I30 entries of a directory, in index (collation) order, streaming. */
  async *readdir(dirRecordNumber: number): AsyncIterable<DirEntry> {
    const index = await this.directoryIndex(dirRecordNumber);
    yield* index.entries();
  }

  /** Looks `name` up in a directory by B+ tree descent with $UpCase collation; exact case preferred. */
  async lookup(dirRecordNumber: number, name: string): Promise<DirEntry | null> {
    const index = await this.directoryIndex(dirRecordNumber);
    return index.lookup(name, await this.upcase());
  }

  /**
   * Resolves a path (`/` or `\\` separators, optional `C:` drive prefix),
   * case-insensitively through $UpCase. Throws NotFoundError naming the
   * missing component.
   */
  async resolve(path: string): Promise<NtfsEntry> {
    const clean = path.replace(/^[A-Za-z]:(?=$|[\\/])/, '');
    const parts = clean.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
    if (parts.length > Limits.maxPathDepth) throw limit('NTFS_PATH_DEPTH', `path has more than ${Limits.maxPathDepth} components`);
    let current = ROOT_RECORD;
    let dirEntry: DirEntry | null = null;
    const names: string[] = [];
    for (const part of parts) {
      const record = await this.readRecord(current);
      if (!record.isDirectory) throw notFound('NTFS_PATH_NOT_DIRECTORY', `/${names.join('/')} is not a directory (looking for ${JSON.stringify(part)})`, { path, component: part });
      const found = await this.lookup(current, part);
      if (!found) throw notFound('NTFS_PATH_NOT_FOUND', `${JSON.stringify(part)} not found in /${names.join('/')}`, { path, component: part, parent: `/${names.join('/')}` });
      dirEntry = found;
      names.push(found.name);
      current = found.recordNumber;
    }
    const record = await this.readRecord(current);
    if (dirEntry && record.sequence !== dirEntry.sequence) this.note(`${path}: index entry sequence ${dirEntry.sequence} != record sequence ${record.sequence}`);
    return { path: `/${names.join('/')}`, name: names[names.length - 1] ?? '', recordNumber: current, sequence: record.sequence, isDirectory: record.isDirectory, record, dirEntry };
  }

  /** Every entry under `root` (default: the volume root), depth first, like `fls -r -p` (and `-d` with `deleted`). */
  walk(options: WalkOptions = {}): AsyncIterable<WalkEntry> {
    return walkVolume(this, options);
  }

  /**
   * The same entries as walk(), in the same order, in batches of parallel
   * arrays over a compact record table filled by one sequential $MFT pass:
   * the fast path for listings and timelines (no object per entry). Batches
   * stay valid after the next one is produced.
   */
  list(options: ListOptions = {}): AsyncIterable<ListBatch> {
    return listVolume(this, options);
  }

  /** Everything about one record: attributes, names with times, runlists, anomalies. */
  async stat(recordNumber: number): Promise<RecordDetails> {
    return describeRecord(this, await this.readRecord(recordNumber));
  }

  /** True when the raw bytes look like an MFT record. @internal */
  static isRecord(raw: Uint8Array): boolean {
    return hasRecordSignature(raw);
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Scattered single-record reads of one batch kept in flight at once (the thread pool overlaps them). */
const SCATTERED_READS_AT_ONCE = 16;
