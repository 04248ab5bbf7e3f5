/**
 * $LogFile, decoded whole: restart pages, the copies applied, every record
 * reachable, the checkpoint and its tables, the targets of updates resolved
 * through the open attribute table, and the file names the log carries.
 * Pure over the bytes of the $DATA stream (a volume's or a bare copy's).
 */
import { decodeRestartPages, isEmptyLog, type RestartPageInfo, type RestartPages } from './restart.js';
import { prepareLogPages, prepareStaleCopies, type AppliedCopy } from './pages.js';
import { collectRecords, readRecordAt, type LfsRecord, type WalkContext } from './walk.js';
import { decodeNtfsUpdate, type NtfsUpdate } from './client-record.js';
import { NtfsLogOperation as O, operationTarget } from './operations.js';
import { namesInPayload, type LoggedName } from './names.js';
import { LfsRecordType } from './layout/lfs-record-header.js';
import { OpenAttributeEntryV0Struct } from './layout/open-attribute-entry.js';
import { decodeUtf16Units } from '../codec/utf16.js';
import {
  decodeAttributeNames, decodeDirtyPageTable, decodeNtfsRestartArea, decodeOpenAttributeEntry, decodeOpenAttributeTable,
  decodeTransactionTable, type DirtyPage, type NtfsRestartArea, type OpenAttribute, type TableHeader, type TransactionEntry,
} from './checkpoint.js';
import { logCorrupt, logLimit, LogLimits } from './errors.js';

export interface LogRecord {
  lsn: bigint; offset: number; previousLsn: bigint; undoNextLsn: bigint; transactionId: number; recordType: number;
  flags: number; clientIndex: number; clientDataLength: number; pageSpan: number;
  /** The NTFS update (record type 1 with a header), else null. */
  update: NtfsUpdate | null;
  /** For updates of a non-resident attribute: the open attribute it names, when known. */
  attribute: OpenAttribute | null;
  /** File names found in its redo and undo data. */
  names: LoggedName[];
  /** Found only in a tail/fast copy older than its home page (a record of an earlier pass over the log). */
  stale: boolean;
}

export interface Checkpoint {
  lsn: bigint; area: NtfsRestartArea;
  openAttributes: { header: TableHeader; entries: OpenAttribute[] } | null;
  dirtyPages: { header: TableHeader; entries: DirtyPage[] } | null;
  transactions: { header: TableHeader; entries: TransactionEntry[] } | null;
  problems: string[];
}

export interface TransactionSummary { id: number; firstLsn: bigint; lastLsn: bigint; records: number; state: 'committed' | 'forgotten' | 'open' }

export interface LogFileJournal {
  size: number; empty: boolean; restart: RestartPages | null; current: RestartPageInfo | null;
  version: string | null; clean: boolean;
  firstDataOffset: number; endOffset: number; truncated: boolean; validPages: number; damagedPages: number[]; applied: AppliedCopy[]; unapplied: AppliedCopy[];
  clusterSize: number; checkpoint: Checkpoint | null; records: LogRecord[]; transactions: TransactionSummary[]; anomalies: string[];
}

export interface DecodeLogOptions {
  /** Cluster size of the volume (else the checkpoint's, else 4096). */
  clusterSize?: number;
  /** Apply the 1.1 tail / 2.0 fast page copies to their homes before walking (default true; false shows what a naive reader sees). */
  applyCopies?: boolean;
}

const DEFAULT_CLUSTER = 4096;

/**
 * @throws LimitExceededError NTFS_LOG_TOO_LARGE above LogLimits.maxLogFileSize;
 *         CorruptError NTFS_LOG_TOO_SMALL / NTFS_LOG_NO_RESTART_PAGE when the log has no valid restart page and is not empty.
 */
export function decodeLogFile(log: Uint8Array, options: DecodeLogOptions = {}): LogFileJournal {
  if (log.length > LogLimits.maxLogFileSize) throw logLimit('NTFS_LOG_TOO_LARGE', `${log.length} bytes exceed the cap of ${LogLimits.maxLogFileSize}`, 0, { size: log.length });
  if (log.length < 8192) throw logCorrupt('NTFS_LOG_TOO_SMALL', `${log.length} bytes cannot hold two restart pages`, 0, { size: log.length });
  const base = { size: log.length, firstDataOffset: 0, endOffset: 0, truncated: false, validPages: 0, damagedPages: [], applied: [], unapplied: [], checkpoint: null, records: [], transactions: [], anomalies: [] };
  if (isEmptyLog(log)) return { ...base, empty: true, restart: null, current: null, version: null, clean: true, clusterSize: options.clusterSize ?? DEFAULT_CLUSTER };
  const restart = decodeRestartPages(log);
  const current = restart.current;
  if (!current) {
    const why = restart.copies.map((c) => (c.ok ? '' : `0x${c.offset.toString(16)}: ${c.problem}`)).join('; ');
    throw logCorrupt('NTFS_LOG_NO_RESTART_PAGE', `no valid restart page (${why})`, 0);
  }
  const anomalies: string[] = [];
  for (const c of restart.copies) if (!c.ok) anomalies.push(`restart page copy at 0x${c.offset.toString(16)} rejected: ${c.problem}`);
  const pages = prepareLogPages(log, current, options.applyCopies ?? true);
  if (pages.truncated) anomalies.push(`the copy holds ${log.length} bytes of a ${current.fileSize}-byte log: records past it are out of reach`);
  const ctx: WalkContext = { pages, geometry: current, headerLength: current.logRecordHeaderLength, dataOffset: current.logPageDataOffset };
  const seeds = [current.currentLsn, ...current.clients.flatMap((c) => [c.oldestLsn, c.clientRestartLsn])];
  const raw = collectRecords(ctx, seeds);
  // Records kept only in copy pages older than their homes: from an earlier pass, marked stale.
  const stale = new Set<bigint>();
  if (pages.unapplied.length) {
    const known = new Set(raw.map((r) => r.lsn));
    const staleCtx: WalkContext = { ...ctx, pages: prepareStaleCopies(log, current, pages) };
    for (const r of collectRecords(staleCtx, [])) if (!known.has(r.lsn)) { raw.push(r); stale.add(r.lsn); }
    raw.sort((a, b) => (a.lsn < b.lsn ? -1 : a.lsn > b.lsn ? 1 : 0));
  }

  // The checkpoint first: it gives the cluster size the targets need.
  const ntfs = current.clients.find((c) => c.name === 'NTFS') ?? current.clients[0];
  let checkpoint: Checkpoint | null = null;
  const byLsn = new Map(raw.map((r) => [r.lsn, r] as const));
  const recordAt = (lsn: bigint): LfsRecord | null => (lsn === 0n ? null : byLsn.get(lsn) ?? readRecordAt(ctx, lsn));
  if (ntfs && ntfs.clientRestartLsn !== 0n) {
    const r = recordAt(ntfs.clientRestartLsn);
    if (!r) anomalies.push(`the checkpoint record at client restart LSN ${ntfs.clientRestartLsn} cannot be read`);
    else if (r.recordType !== LfsRecordType.clientRestart) anomalies.push(`the record at client restart LSN ${ntfs.clientRestartLsn} is of type ${r.recordType}, not a client restart`);
    else checkpoint = decodeCheckpoint(r, recordAt);
  }
  const clusterSize = options.clusterSize ?? (checkpoint?.area.bytesPerCluster && isClusterSize(checkpoint.area.bytesPerCluster) ? checkpoint.area.bytesPerCluster : DEFAULT_CLUSTER);

  const records = raw.map((r): LogRecord => {
    const update = r.recordType === LfsRecordType.clientRecord ? decodeNtfsUpdate(r.data, clusterSize) : null;
    const names = update ? [...namesInPayload(update.redoOperation, update.redo), ...namesInPayload(update.undoOperation, update.undo)] : [];
    return {
      lsn: r.lsn, offset: r.offset, previousLsn: r.clientPreviousLsn, undoNextLsn: r.clientUndoNextLsn, transactionId: r.transactionId,
      recordType: r.recordType, flags: r.flags, clientIndex: r.clientIndex, clientDataLength: r.clientDataLength, pageSpan: r.pageSpan,
      update, attribute: null, names, stale: stale.has(r.lsn),
    };
  });
  resolveAttributes(records, checkpoint);
  return {
    ...base, empty: false, restart, current, version: `${current.majorVersion}.${current.minorVersion}`, clean: current.clean,
    firstDataOffset: pages.firstDataOffset, endOffset: pages.endOffset, truncated: pages.truncated, validPages: pages.pages.size,
    damagedPages: pages.damaged, applied: pages.applied, unapplied: pages.unapplied, clusterSize, checkpoint, records, transactions: summarizeTransactions(records), anomalies,
  };
}

const isClusterSize = (n: number): boolean => n >= 512 && n <= 2 << 20 && (n & (n - 1)) === 0;

function decodeCheckpoint(r: LfsRecord, recordAt: (lsn: bigint) => LfsRecord | null): Checkpoint | null {
  const area = decodeNtfsRestartArea(r.data);
  if (!area) return null;
  const problems: string[] = [];
  const redoOf = (lsn: bigint, op: number, what: string): Uint8Array | null => {
    if (lsn === 0n) return null;
    const t = recordAt(lsn);
    const u = t ? decodeNtfsUpdate(t.data, DEFAULT_CLUSTER) : null;
    if (!u || u.redoOperation !== op) { problems.push(`${what} at LSN ${lsn} is not readable as a ${what} dump`); return null; }
    return u.redo;
  };
  const names = redoOf(area.attributeNamesLsn, O.AttributeNamesDump, 'attribute names');
  const nameMap = names ? decodeAttributeNames(names) : new Map<number, string>();
  const oat = redoOf(area.openAttributeTableLsn, O.OpenAttributeTableDump, 'open attribute table');
  const dpt = redoOf(area.dirtyPageTableLsn, O.DirtyPageTableDump, 'dirty page table');
  const tt = redoOf(area.transactionTableLsn, O.TransactionTableDump, 'transaction table');
  const openAttributes = oat ? decodeOpenAttributeTable(oat, nameMap) : null;
  const dirtyPages = dpt ? decodeDirtyPageTable(dpt, area.majorVersion === 0) : null;
  const transactions = tt ? decodeTransactionTable(tt) : null;
  for (const t of [openAttributes, dirtyPages, transactions]) if (t) problems.push(...t.problems);
  return { lsn: r.lsn, area, openAttributes, dirtyPages, transactions, problems };
}

/** Open attribute definitions in LSN order (checkpoint tables, table dumps, OpenNonresidentAttribute), then each attribute update resolved. */
function resolveAttributes(records: LogRecord[], checkpoint: Checkpoint | null): void {
  const defs = new Map<number, Array<{ lsn: bigint; attr: OpenAttribute }>>();
  const define = (lsn: bigint, attr: OpenAttribute): void => { const l = defs.get(attr.index) ?? []; l.push({ lsn, attr }); defs.set(attr.index, l); };
  for (const a of checkpoint?.openAttributes?.entries ?? []) define(checkpoint!.lsn, a);
  let lastNames = new Map<number, string>();
  for (const r of records) {
    const u = r.update;
    if (!u) continue;
    if (u.redoOperation === O.AttributeNamesDump) lastNames = decodeAttributeNames(u.redo);
    else if (u.redoOperation === O.OpenAttributeTableDump) for (const a of decodeOpenAttributeTable(u.redo, lastNames).entries) define(r.lsn, a);
    else if (u.redoOperation === O.OpenNonresidentAttribute && u.redo.length >= 40) {
      const name = u.undo.length >= 2 ? decodeUtf16Units(u.undo, 0, u.undo.length >> 1).replace(/\0+$/, '') : '';
      define(r.lsn, decodeOpenAttributeEntry(u.redo, u.targetAttribute, u.redo.length >= OpenAttributeEntryV0Struct.size, name));
    }
  }
  for (const list of defs.values()) list.sort((a, b) => (a.lsn < b.lsn ? -1 : a.lsn > b.lsn ? 1 : 0));
  for (const r of records) {
    const u = r.update;
    if (!u || (operationTarget(u.redoOperation) !== 'attribute' && operationTarget(u.undoOperation) !== 'attribute')) continue;
    const list = defs.get(u.targetAttribute);
    if (!list) continue;
    let best = list[0];
    for (const d of list) if (d.lsn <= r.lsn) best = d;
    r.attribute = best.attr;
  }
}

function summarizeTransactions(records: LogRecord[]): TransactionSummary[] {
  const byId = new Map<number, TransactionSummary>();
  for (const r of records) {
    if (!r.update || r.transactionId === 0) continue;
    const t = byId.get(r.transactionId) ?? { id: r.transactionId, firstLsn: r.lsn, lastLsn: r.lsn, records: 0, state: 'open' as TransactionSummary['state'] };
    t.records++;
    t.lastLsn = r.lsn;
    if (r.update.redoOperation === O.CommitTransaction && t.state === 'open') t.state = 'committed';
    if (r.update.redoOperation === O.ForgetTransaction) t.state = 'forgotten';
    byId.set(r.transactionId, t);
  }
  return [...byId.values()];
}
