/**
 * checkVolume: the consistency checker behind verification. Read-only.
 *  1. $MFT:$BITMAP against the in-use flag of every record;
 *  2. every directory's $I30 B+ tree (index-check.ts) and its entries against
 *     the records they name: in use, same sequence number, a base record, a
 *     $FILE_NAME with that name, namespace and parent, cached sizes equal;
 *     and every name of every record in use indexed in its parent;
 *  3. $Bitmap against all runlists: no cluster claimed twice, none claimed but
 *     free, none marked in use but claimed by nobody;
 *  4. $MFTMirr equal to the first records of $MFT; the backup boot sector in the sector after the
 *     volume, equal to the primary.
 * Findings carry stable codes and the record numbers involved.
 *
 * References: ntfs-3g ntfsfix.c / ntfsck logic, Windows chkdsk stages (file
 * records, indexes, security, free space), read as documentation.
 */
import { LimitExceededError } from '@coldfix/io';
import { AttrType } from '../record/record-bytes.js';
import { attributeData } from '../record/attribute-data.js';
import { WriteTxn } from '../write/txn.js';
import { recordStoreOf, type VolumeInput } from '../record/volume-source.js';
import { decodeFileName } from '../record/record-bytes.js';
import { resolveListedFiles, scanMft } from './mft-scan.js';
import { checkDirectoryIndex, type IndexedName } from './index-check.js';
import { checkExtendIndexes } from './extend-check.js';
import type { CheckFinding } from './types.js';

export type { CheckFinding } from './types.js';

const MAX_CLUSTERS = 1 << 30;
const MAX_FINDINGS_PER_CODE = 200;
const FIRST_USER_RECORD = 24;

/** Checks the volume; `clean` is true when no finding was made. @throws CorruptError when the volume cannot be opened at all. */
export async function checkVolume(volume: VolumeInput): Promise<{ clean: boolean; findings: CheckFinding[] }> {
  const vol = await recordStoreOf(volume);
  const { totalClusters } = vol.geometry;
  if (totalClusters > MAX_CLUSTERS) throw new LimitExceededError(`${totalClusters} clusters exceed the checker's limit`, { code: 'NTFS_CHECK_TOO_LARGE', layer: 'ntfs-check' });
  const all: CheckFinding[] = [];
  const perCode = new Map<string, number>();
  const add = (f: CheckFinding): void => {
    const n = (perCode.get(f.code) ?? 0) + 1;
    perCode.set(f.code, n);
    if (n <= MAX_FINDINGS_PER_CODE) all.push(f);
  };

  // Pass 1: records, and cluster claims as they stream by.
  const claims = new Uint8Array(totalClusters);
  const runRec: number[] = [];
  const runLcn: number[] = [];
  const runLen: number[] = [];
  const scan = await scanMft(vol, (record, _type, runs) => {
    for (const r of runs) {
      if (r.lcn === null) continue;
      runRec.push(record);
      runLcn.push(r.lcn);
      runLen.push(r.length);
      const end = Math.min(r.lcn + r.length, totalClusters);
      if (r.lcn + r.length > totalClusters) add({ code: 'RUN_OUTSIDE_VOLUME', message: `record ${record}: run at LCN ${r.lcn} (+${r.length}) ends past the volume's ${totalClusters} clusters`, records: [record] });
      for (let c = r.lcn; c < end; c++) if (claims[c] < 2) claims[c]++;
    }
  });
  for (const c of scan.corrupt) if (c.inUse) add({ code: 'RECORD_CORRUPT', message: `record ${c.record}: ${c.reason}`, records: [c.record] });
  const { records } = scan;
  // Files with an attribute list: names and sizes through the record model (any of them may live in an extension record).
  await resolveListedFiles(vol, scan, (record, reason) => add({ code: 'ATTRIBUTE_LIST_BROKEN', message: `record ${record}: ${reason}`, records: [record] }));
  for (const s of records.values()) {
    if (s.baseRecord !== 0) {
      const base = records.get(s.baseRecord);
      if (!base || base.baseRecord !== 0) add({ code: 'EXTENSION_ORPHAN', message: `extension record ${s.record} belongs to record ${s.baseRecord}, which is not a base record in use`, records: [s.record, s.baseRecord] });
    }
  }

  // 1. $MFT:$BITMAP.
  const mftBitmap = attributeData(vol, await vol.extents(0), AttrType.bitmap);
  const mbits = await mftBitmap.read(0, mftBitmap.size);
  const corruptInUse = new Set(scan.corrupt.filter((c) => c.inUse).map((c) => c.record));
  for (let n = 0; n < scan.count; n++) {
    const bit = n >> 3 < mbits.length ? (mbits[n >> 3] >> (n & 7)) & 1 : 0;
    const inUse = records.has(n) || corruptInUse.has(n);
    if (inUse && !bit) add({ code: 'MFT_BITMAP_CLEAR_IN_USE', message: `record ${n} is in use but its $MFT:$BITMAP bit is clear`, records: [n] });
    if (!inUse && bit && n >= FIRST_USER_RECORD) add({ code: 'MFT_BITMAP_SET_FREE', message: `record ${n} is free but its $MFT:$BITMAP bit is set`, records: [n] });
  }

  // 2. Indexes.
  const txn = new WriteTxn(vol);
  const upcase = await vol.upcase();
  const entries: IndexedName[] = [];
  const walked = new Set<number>();
  for (const s of records.values()) {
    if (s.directory && s.baseRecord === 0) {
      const before = all.length;
      await checkDirectoryIndex(txn, s.record, upcase, all, entries);
      for (const f of all.slice(before)) perCode.set(f.code, (perCode.get(f.code) ?? 0) + 1);
      walked.add(s.record);
    }
  }
  // Windows never refreshes the sizes cached in index entries of metadata files ($MFT, $LogFile,
  // files under $Extend): they are not findings.
  const extendMemo = new Map<number, boolean>();
  const isMetadata = (record: number): boolean => {
    let r = record;
    for (let depth = 0; depth < 64; depth++) {
      if (r < FIRST_USER_RECORD) return r < 16 || r === 11 || extendMemo.get(record) === true;
      const s = records.get(r);
      const parent = s?.names[0]?.parent;
      if (parent === undefined || parent === r) return false;
      if (parent === 11) { extendMemo.set(record, true); return true; }
      if (parent === 5) return false;
      r = parent;
    }
    return false;
  };
  const indexed = new Set<string>();
  for (const e of entries) {
    const fn = decodeFileName(e.key);
    indexed.add(`${e.dir}|${e.record}|${fn.namespace}|${fn.name}`);
    const target = records.get(e.record);
    if (!target) {
      add({ code: 'INDEX_ENTRY_FREED_RECORD', message: `directory ${e.dir}: entry "${fn.name}" points at record ${e.record}, which is not in use`, records: [e.dir, e.record] });
      continue;
    }
    if (target.sequence !== e.sequence) {
      add({ code: 'INDEX_ENTRY_SEQUENCE', message: `directory ${e.dir}: entry "${fn.name}" has sequence ${e.sequence}, record ${e.record} has ${target.sequence}`, records: [e.dir, e.record] });
    }
    if (target.baseRecord !== 0) {
      add({ code: 'INDEX_ENTRY_EXTENSION', message: `directory ${e.dir}: entry "${fn.name}" points at extension record ${e.record}`, records: [e.dir, e.record] });
      continue;
    }
    const match = target.names.find((n) => n.parent === e.dir && n.namespace === fn.namespace && n.name === fn.name);
    if (!match) {
      add({ code: 'INDEX_ENTRY_NAME_MISMATCH', message: `directory ${e.dir}: entry "${fn.name}" (namespace ${fn.namespace}) matches no $FILE_NAME of record ${e.record}`, records: [e.dir, e.record] });
    } else if (fn.parentRecord !== e.dir) {
      add({ code: 'INDEX_ENTRY_PARENT', message: `directory ${e.dir}: entry "${fn.name}" names parent ${fn.parentRecord}`, records: [e.dir, e.record] });
    } else if (!target.directory && target.dataSize >= 0 && fn.dataSize !== target.dataSize && !isMetadata(e.record)) {
      add({ code: 'INDEX_SIZE_MISMATCH', message: `directory ${e.dir}: entry "${fn.name}" caches size ${fn.dataSize}, record ${e.record} holds ${target.dataSize}`, records: [e.dir, e.record] });
    }
  }
  for (const s of records.values()) {
    if (s.baseRecord !== 0) continue;
    for (const n of s.names) {
      if (!walked.has(n.parent)) {
        add({ code: 'NAME_PARENT_NOT_DIRECTORY', message: `record ${s.record} "${n.name}" names parent ${n.parent}, not a directory in use`, records: [s.record, n.parent] });
      } else if (!indexed.has(`${n.parent}|${s.record}|${n.namespace}|${n.name}`)) {
        add({ code: 'NAME_NOT_INDEXED', message: `record ${s.record} "${n.name}" (namespace ${n.namespace}) is missing from directory ${n.parent}'s index`, records: [s.record, n.parent] });
      }
    }
  }

  // 2b. $Extend indexes ($ObjId:$O, $Reparse:$R).
  await checkExtendIndexes(txn, upcase, records, { objectId: scan.withObjectId, reparse: scan.withReparse }, add);

  // 3. $Bitmap.
  const bmp = attributeData(vol, await vol.extents(6), AttrType.data);
  const cbits = await bmp.read(0, Math.min(bmp.size, Math.ceil(totalClusters / 8)));
  const bad = { double: [] as number[], free: [] as number[], orphan: [] as number[] };
  for (let c = 0; c < totalClusters; c++) {
    const bit = (cbits[c >> 3] >> (c & 7)) & 1;
    if (claims[c] >= 2) bad.double.push(c);
    else if (claims[c] === 1 && !bit) bad.free.push(c);
    else if (claims[c] === 0 && bit) bad.orphan.push(c);
    if (bad.double.length + bad.free.length + bad.orphan.length > 100000) break;
  }
  const owners = (clusters: number[]): number[] => {
    const set = new Set(clusters);
    const out = new Set<number>();
    if (!set.size) return [];
    for (let i = 0; i < runRec.length; i++) {
      for (const c of set) if (c >= runLcn[i] && c < runLcn[i] + runLen[i]) { out.add(runRec[i]); break; }
    }
    return [...out].sort((a, b) => a - b);
  };
  const describe = (cs: number[]): string => `${cs.length} cluster(s) from LCN ${cs[0]}`;
  if (bad.double.length) add({ code: 'CLUSTER_CLAIMED_TWICE', message: `${describe(bad.double)} claimed by more than one run`, records: owners(bad.double.slice(0, 1000)) });
  if (bad.free.length) add({ code: 'CLUSTER_CLAIMED_BUT_FREE', message: `${describe(bad.free)} claimed by a runlist but free in $Bitmap`, records: owners(bad.free.slice(0, 1000)) });
  if (bad.orphan.length) add({ code: 'CLUSTER_MARKED_UNCLAIMED', message: `${describe(bad.orphan)} marked in use in $Bitmap but claimed by no runlist`, records: [] });

  // 0. The backup boot sector: Windows keeps it in the partition's last sector, the one after the
  // volume's declared sectors (ntfsfix -n checks it too: "Checking the alternate boot sector").
  const volumeBytes = vol.geometry.totalSectors * vol.geometry.sectorSize;
  if (vol.source.size < volumeBytes + vol.geometry.sectorSize) {
    add({ code: 'BOOT_BACKUP_MISSING', message: `the backup boot sector (byte ${volumeBytes}) lies past the end of the ${vol.source.size}-byte volume`, records: [] });
  } else {
    const [primary, backup] = [await vol.source.read(0, 512), await vol.source.read(volumeBytes, 512)];
    if (primary.some((x, i) => x !== backup[i])) add({ code: 'BOOT_BACKUP_MISMATCH', message: `the backup boot sector (byte ${volumeBytes}) differs from the primary`, records: [] });
  }

  // 4. $MFTMirr.
  for (let n = 0; n < vol.mirrorRecords; n++) {
    const pieces = vol.mirrorPieces(n);
    if (!pieces) break;
    const [a, b] = [await vol.readRecordRaw(n), await vol.readPieces(pieces)];
    if (a.length !== b.length || a.some((x, i) => x !== b[i])) add({ code: 'MFT_MIRROR_MISMATCH', message: `$MFTMirr record ${n} differs from $MFT record ${n}`, records: [n] });
  }

  const findings = all;
  for (const [code, n] of perCode) if (n > MAX_FINDINGS_PER_CODE) findings.push({ code, message: `${n - MAX_FINDINGS_PER_CODE} more ${code} findings not listed`, records: [] });
  return { clean: findings.length === 0, findings };
}
