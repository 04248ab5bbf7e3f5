/**
 * Restart analysis of an NTFS journal, the first pass of a replay (ntfs3
 * fslog.c log_replay "analysis"; ntfs-3g playlog.c; ARIES as NTFS applies it):
 * the redo point is the oldest of the client's oldest LSN, the checkpoint
 * start and the dirty pages' oldest LSNs; from there every update record is a
 * redo candidate, and the transactions neither committed nor forgotten by the
 * end of the log are losers whose updates must be undone. Pure.
 */
import { NtfsLogOperation as O, operationName } from '../operations.js';
import type { LogFileJournal, LogRecord } from '../read-logfile.js';

/** Operations that change nothing on disk (bookkeeping of transactions and tables). */
const BOOKKEEPING = new Set<number>([
  O.Noop, O.CompensationLogRecord, O.EndTopLevelAction, O.PrepareTransaction, O.CommitTransaction, O.ForgetTransaction,
  O.OpenNonresidentAttribute, O.OpenAttributeTableDump, O.AttributeNamesDump, O.DirtyPageTableDump, O.TransactionTableDump,
]);
/** Operations no replay here performs safely (ntfsrecover stops on them as well). */
const NEVER = new Set<number>([O.DeleteDirtyClusters, O.HotFix]);

export const changesDisk = (op: number): boolean => !BOOKKEEPING.has(op);
export const neverReplayable = (op: number): boolean => NEVER.has(op) || op > O.ZeroEndOfFileRecord;

export interface ReplayAnalysis {
  redoFrom: bigint;
  endLsn: bigint;
  /** Update records from the redo point on, in LSN order. */
  records: LogRecord[];
  /** Records whose redo operation changes disk. */
  redo: LogRecord[];
  /** Transactions left neither committed nor forgotten, with their records to undo (newest first) whose undo operation changes disk. */
  losers: Array<{ id: number; undo: LogRecord[] }>;
}

export function analyseJournal(j: LogFileJournal): ReplayAnalysis {
  const current = j.current!;
  const client = current.clients[0];
  const candidates = [client?.oldestLsn ?? 0n, j.checkpoint?.area.startOfCheckpointLsn ?? 0n, ...(j.checkpoint?.dirtyPages?.entries.map((d) => d.oldestLsn) ?? [])].filter((l) => l > 0n);
  const redoFrom = candidates.length ? candidates.reduce((a, b) => (b < a ? b : a)) : current.currentLsn;
  const live = j.records.filter((r) => !r.stale && r.lsn >= redoFrom);
  const endLsn = live.reduce((m, r) => (r.lsn > m ? r.lsn : m), current.currentLsn);
  const records = live.filter((r) => r.update !== null);
  const redo = records.filter((r) => changesDisk(r.update!.redoOperation));

  // Transactions: those open at the checkpoint, then what the log says of each.
  const state = new Map<number, 'active' | 'committed'>();
  for (const t of j.checkpoint?.transactions?.entries ?? []) if (t.state === 'active' || t.state === 'prepared') state.set(t.index, 'active');
  const members = new Map<number, LogRecord[]>();
  for (const r of records) {
    const op = r.update!.redoOperation;
    if (r.transactionId === 0) continue;
    if (op === O.ForgetTransaction) { state.delete(r.transactionId); members.delete(r.transactionId); continue; }
    if (op === O.CommitTransaction) { state.set(r.transactionId, 'committed'); continue; }
    if (!state.has(r.transactionId)) state.set(r.transactionId, 'active');
    (members.get(r.transactionId) ?? members.set(r.transactionId, []).get(r.transactionId)!).push(r);
  }
  const losers = [...state].filter(([, s]) => s === 'active').map(([id]) => ({
    id, undo: (members.get(id) ?? []).filter((r) => changesDisk(r.update!.undoOperation)).reverse(),
  }));
  return { redoFrom, endLsn, records, redo, losers };
}

export const describeOperation = (r: LogRecord, side: 'redo' | 'undo'): string =>
  `${operationName(side === 'redo' ? r.update!.redoOperation : r.update!.undoOperation)} (${side}) at LSN ${r.lsn}`;
