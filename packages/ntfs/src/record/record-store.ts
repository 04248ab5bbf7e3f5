/**
 * Byte-level access to an NTFS volume for the write side and the checker:
 * geometry from the boot sector, MFT records by number (with their on-disk
 * pieces, so that a record can be rewritten in place and in $MFTMirr), and
 * non-resident streams through their runlists.
 *
 * References: NTFS documentation (Russon & Fledel, "Boot sector", "$MFT",
 * "$MFTMirr"); ntfs-3g bootsect.c and mft.c (read, not copied).
 *
 * The boot sector fields come from the reader's declaration (layout/boot-sector.ts
 * BootSectorStruct); the checks below are the write side's own, stricter on
 * sector sizes and looser on the $MFT LCN than the reader's decodeBootSector,
 * and are kept as they were so that what the writer accepts does not change.
 */
import { CorruptError, LimitExceededError, viewOf, type ByteSource } from '@coldfix/io';
import { UpcaseTable } from '../codec/upcase.js';
import { BootSectorStruct } from '../layout/boot-sector.js';
import { FIXUP_STRIDE, removeFixups } from '../codec/block-fixup.js';
import { mapRange, type Run } from '../codec/runlist.js';
import { AttrType, attributeRuns, decodeRecordHeader, listAttributes, residentValue, type AttrRecord } from './record-bytes.js';
import { decodeAttributeList } from '../layout/attribute-list-entry.js';
import { Limits } from '../errors.js';
import { resolveAttributeList } from './attribute-list.js';

const LAYER = 'ntfs-write';

export interface Geometry {
  sectorSize: number; clusterSize: number; recordSize: number; indexBlockSize: number;
  totalSectors: number; totalClusters: number; mftLcn: number; mftMirrLcn: number;
}

/** Decodes the geometry fields of an NTFS boot sector. @throws CorruptError when it is not NTFS or sizes are not powers of two. */
export function decodeGeometry(boot: Uint8Array): Geometry {
  const f = BootSectorStruct.decode(boot);
  if (f.oemId !== 'NTFS    ') throw new CorruptError('not an NTFS boot sector', { code: 'NTFS_BOOT_SIGNATURE', layer: LAYER, offset: 3 });
  const sectorSize = f.bytesPerSector;
  const spc = f.sectorsPerCluster;
  const sectorsPerCluster = spc > 0x80 ? 2 ** (256 - spc) : spc;
  const clusterSize = sectorSize * sectorsPerCluster;
  // Clusters per record / index block (signed byte): negative means 2^-x bytes.
  const sizeOf = (s: number): number => (s < 0 ? 2 ** -s : s * clusterSize);
  const recordSize = sizeOf(f.clustersPerMftRecord);
  const indexBlockSize = sizeOf(f.clustersPerIndexBlock);
  const pow2 = (x: number): boolean => x > 0 && (x & (x - 1)) === 0;
  if (![512, 1024, 2048, 4096].includes(sectorSize) || !pow2(clusterSize) || clusterSize > 2 << 20 || !pow2(recordSize) || recordSize < 512 || recordSize > 65536 || !pow2(indexBlockSize)) {
    throw new CorruptError('NTFS boot sector sizes are invalid', { code: 'NTFS_BOOT_SIZES', layer: LAYER, offset: 0x0b, details: { sectorSize, clusterSize, recordSize, indexBlockSize } });
  }
  const totalSectors = Number(f.totalSectors);
  return {
    sectorSize, clusterSize, recordSize, indexBlockSize, totalSectors,
    totalClusters: Math.floor((totalSectors * sectorSize) / clusterSize),
    mftLcn: Number(f.mftLcn), mftMirrLcn: Number(f.mftMirrLcn),
  };
}

/** One attribute extent found through the base record and its attribute list. */
export interface Extent { record: number; attr: AttrRecord; rec: Uint8Array }

export class RecordStore {
  /** $MFT's $DATA runs (all extents). */
  mftRuns: Run[] = [];
  /** Records mirrored in $MFTMirr (its data size / record size, at least 4 per Windows). */
  mirrorRecords = 0;
  mirrorRuns: Run[] = [];

  private constructor(readonly source: ByteSource, readonly geometry: Geometry) {}

  /** Opens the volume in `source` (offset 0 = boot sector). @throws CorruptError on a bad boot sector or $MFT record 0. */
  static async open(source: ByteSource): Promise<RecordStore> {
    const g = decodeGeometry(await source.read(0, 512));
    const vol = new RecordStore(source, g);
    // Bootstrap: record 0 lies at the $MFT LCN; its $DATA (plus extensions through its attribute list) maps the rest.
    const rec0 = await source.read(g.mftLcn * g.clusterSize, g.recordSize);
    removeFixups(rec0, FIXUP_STRIDE, g.mftLcn * g.clusterSize);
    const firstData = listAttributes(rec0, 0).filter((a) => a.type === AttrType.data && a.name === '' && a.nonResident);
    if (!firstData.length) throw new CorruptError('$MFT has no non-resident $DATA', { code: 'NTFS_MFT_NO_DATA', layer: LAYER });
    vol.mftRuns = firstData.flatMap((a) => attributeRuns(rec0, a));
    const extents = await vol.extents(0, rec0);
    const runs = extents.filter((x) => x.attr.type === AttrType.data && x.attr.name === '' && x.attr.nonResident)
      .sort((a, b) => a.attr.lowestVcn - b.attr.lowestVcn).flatMap((x) => attributeRuns(x.rec, x.attr));
    vol.mftRuns = runs;
    const mirror = (await vol.extents(1)).find((x) => x.attr.type === AttrType.data && x.attr.name === '' && x.attr.nonResident);
    if (mirror) {
      vol.mirrorRuns = attributeRuns(mirror.rec, mirror.attr);
      vol.mirrorRecords = Math.floor(mirror.attr.dataSize / g.recordSize);
    }
    return vol;
  }

  /** Number of records the $MFT $DATA maps. */
  get recordCount(): number {
    const last = this.mftRuns[this.mftRuns.length - 1];
    return last ? Math.floor(((last.vcn + last.length) * this.geometry.clusterSize) / this.geometry.recordSize) : 0;
  }

  /** Device byte ranges of record `n` in $MFT (one piece unless clusters are smaller than records and fragmented). */
  recordPieces(n: number): { device: number; length: number }[] {
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.recordCount) {
      throw new CorruptError(`MFT record ${n} is outside $MFT`, { code: 'NTFS_RECORD_OUT_OF_RANGE', layer: LAYER, details: { record: n, count: this.recordCount } });
    }
    return mapRange(this.mftRuns, this.geometry.clusterSize, n * this.geometry.recordSize, this.geometry.recordSize);
  }

  /**
   * Device byte ranges of mirrored record `n` in $MFTMirr, or null when not mirrored.
   * Mirrored: records inside $MFTMirr and below 16 (FILE_first_user), the range
   * ntfs-3g compares at mount; Windows leaves later records of a large mirror cluster stale.
   */
  mirrorPieces(n: number): { device: number; length: number }[] | null {
    if (n >= Math.min(this.mirrorRecords, 16)) return null;
    return mapRange(this.mirrorRuns, this.geometry.clusterSize, n * this.geometry.recordSize, this.geometry.recordSize);
  }

  async readPieces(pieces: { device: number; length: number }[]): Promise<Uint8Array> {
    const total = pieces.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of pieces) {
      if (p.device >= 0) out.set(await this.source.read(p.device, p.length), at);
      at += p.length;
    }
    return out;
  }

  /** Record `n` as stored (fixups applied). */
  async readRecordRaw(n: number): Promise<Uint8Array> {
    return this.readPieces(this.recordPieces(n));
  }

  /** Record `n` with fixups removed. @throws CorruptError on a torn record. */
  async readRecord(n: number): Promise<Uint8Array> {
    const pieces = this.recordPieces(n);
    const rec = await this.readPieces(pieces);
    removeFixups(rec, FIXUP_STRIDE, pieces[0].device);
    return rec;
  }

  /**
   * Every attribute extent of the file whose base record is `base`, by the one rule of
   * record/attribute-list.ts (the reader's): without an $ATTRIBUTE_LIST the base record's
   * attributes; with one, each listed attribute in its record (base or extension), then base
   * attributes the list forgot. `load` gives the record bytes and `listBytes` a non-resident list's
   * value (a transaction passes its working copies).
   * @throws CorruptError NTFS_ATTRLIST_BROKEN when an extension record is unreadable, names another
   *   base, or lacks a listed attribute: nothing is written to such a file, and the checker reports it.
   */
  async extents(base: number, baseRec?: Uint8Array, load: (n: number) => Promise<Uint8Array> = (n) => this.readRecord(n), listBytes?: Uint8Array): Promise<Extent[]> {
    const rec = baseRec ?? (await this.readRecord(base));
    const attrs = listAttributes(rec, base);
    const list = attrs.find((a) => a.type === AttrType.attributeList);
    if (!list) return attrs.map((attr) => ({ record: base, attr, rec }));
    if (list.nonResident && list.dataSize > Limits.maxAttributeListSize) {
      throw new LimitExceededError(`record ${base}: attribute list of ${list.dataSize} bytes`, { code: 'NTFS_ATTRLIST_TOO_LONG', layer: LAYER });
    }
    const bytes = !list.nonResident ? residentValue(rec, list) : listBytes ?? (await this.readStream(attributeRuns(rec, list), 0, list.dataSize));
    const records = new Map<number, Uint8Array>([[base, rec]]);
    const resolved = await resolveAttributeList(base, attrs, decodeAttributeList(bytes), {
      idOf: (a) => a.instance,
      loadExtension: async (n) => {
        const ext = await load(n);
        records.set(n, ext);
        return { attributes: listAttributes(ext, n), baseRecord: decodeRecordHeader(ext, n).baseRecord };
      },
      problem: (message) => {
        throw new CorruptError(message, { code: 'NTFS_ATTRLIST_BROKEN', layer: LAYER, details: { record: base } });
      },
    });
    return resolved.attributes.map(({ record, attr }) => ({ record, attr, rec: records.get(record)! }));
  }

  /** Reads `length` bytes at `offset` of a non-resident stream (sparse runs read as zeros). */
  async readStream(runs: Run[], offset: number, length: number): Promise<Uint8Array> {
    if (length > 1 << 30) throw new LimitExceededError('stream read above 1 GiB', { code: 'NTFS_STREAM_TOO_LARGE', layer: LAYER });
    return this.readPieces(mapRange(runs, this.geometry.clusterSize, offset, length));
  }

  /** Device pieces of a stream byte range (for writes). */
  streamPieces(runs: Run[], offset: number, length: number): { device: number; length: number }[] {
    return mapRange(runs, this.geometry.clusterSize, offset, length);
  }

  /** The $UpCase table (record 10), 65536 code units. */
  async upcase(): Promise<Uint16Array> {
    if (this.upcaseTable) return this.upcaseTable;
    if (this.upcaseSource) return (this.upcaseTable = await this.upcaseSource());
    const data = (await this.extents(10)).find((x) => x.attr.type === AttrType.data && x.attr.name === '');
    if (!data) throw new CorruptError('$UpCase has no $DATA', { code: 'NTFS_UPCASE_MISSING', layer: LAYER });
    const bytes = data.attr.nonResident ? await this.readStream(attributeRuns(data.rec, data.attr), 0, Math.min(data.attr.dataSize, 131072)) : residentValue(data.rec, data.attr);
    const table = UpcaseTable.fromBytes(bytes).table;
    this.upcaseTable = table;
    return table;
  }
  private upcaseTable: Uint16Array | undefined;
  private upcaseSource: (() => Promise<Uint16Array>) | undefined;

  /** Takes the $UpCase table from `load` (the reader's, for the same volume) instead of reading record 10. */
  shareUpcase(load: () => Promise<Uint16Array>): void {
    this.upcaseSource = load;
  }
}
