/**
 * Replays an unclean NTFS journal the way Windows restarts a volume, within
 * what can be proved safe: analysis from the checkpoint (analyse.ts); each
 * redo candidate's target page (an MFT record or an index block, found through
 * the LCN the record carries) is read and its LSN compared with the record's:
 * a page already carrying that LSN or a newer one holds the update. An update
 * that is not on disk, an undo of a loser transaction that changes disk, an
 * operation that cannot be located or is never replayable: the replay stops
 * with a typed error naming the operation and its LSN, BEFORE any write.
 * Otherwise it writes the clean restart pages (clean-restart.ts) through the
 * volume's source (a repair's journaled overlay), and nothing else.
 *
 * Applied: UpdateResidentValue on an MFT record whose LSN is older (the
 * record then carries the log record's LSN and a raised update sequence
 * number, as ntfs-3g writes it). Not implemented (refused as above, never
 * guessed): every other redo operation, and every undo. See
 * docs/formats/ntfs-logfile.md "Replay".
 */
import { isWritable, PreconditionError, UnsupportedError, type ByteSource } from '@coldfix/io';
import type { NtfsVolume } from '../../volume.js';
import { AttributeType } from '../../layout/attribute-types.js';
import { findAttribute } from '../../record-view.js';
import { decodeLogFile, type LogFileJournal, type LogRecord } from '../read-logfile.js';
import { LogLimits, logLimit, LOGFILE_LAYER } from '../errors.js';
import { operationName, operationTarget } from '../operations.js';
import { analyseJournal, changesDisk, describeOperation, neverReplayable } from './analyse.js';
import { encodeCleanRestartPage } from './clean-restart.js';
import { nextUsn, redoUpdateResidentValue } from './redo-resident.js';
import { applyFixups, protectFixups } from '../../codec/fixup.js';
import { NtfsLogOperation } from '../operations.js';

export interface ReplayReport {
  /** 'clean': nothing to do; 'replayed': restart pages rewritten clean (or would be, in a dry run). */
  result: 'clean' | 'replayed';
  dryRun: boolean;
  version: string | null;
  redoFrom: string | null; endLsn: string | null;
  recordsAnalysed: number;
  /** Redo candidates found already on disk (page LSN >= record LSN). */
  redoneAlreadyOnDisk: number;
  /** Redo operations applied (UpdateResidentValue on MFT records; see the module header). */
  redoApplied: number;
  losers: number[];
  undoApplied: number;
  /** Device byte ranges written (the two restart pages). */
  writes: Array<{ offset: number; length: number }>;
}

function refuse(r: LogRecord, side: 'redo' | 'undo', why: string): UnsupportedError {
  const op = side === 'redo' ? r.update!.redoOperation : r.update!.undoOperation;
  return new UnsupportedError(`$LogFile replay stopped before any write: ${describeOperation(r, side)} ${why}`, {
    code: 'NTFS_REPLAY_UNSUPPORTED_OP', layer: LOGFILE_LAYER,
    details: { lsn: r.lsn.toString(), operation: operationName(op), opcode: op, side, reason: why },
  });
}

/** The LSN stamped on the target page of `r`, or null when its page holds none (bitmap, data). */
async function targetPageLsn(volume: NtfsVolume, r: LogRecord): Promise<bigint | null> {
  const u = r.update!;
  if (u.lcns.length === 0 || u.lcns[0] < 0n) throw refuse(r, 'redo', 'names no cluster for its target page');
  const offset = Number(u.lcns[0]) * volume.clusterSize + u.clusterBlockOffset * 512;
  if (!Number.isSafeInteger(offset) || offset + 16 > volume.source.size) throw refuse(r, 'redo', `targets byte 0x${offset.toString(16)}, outside the volume`);
  const head = await volume.source.read(offset, 16);
  const magic = String.fromCharCode(head[0], head[1], head[2], head[3]);
  if (magic !== 'FILE' && magic !== 'INDX') return null;
  return new DataView(head.buffer, head.byteOffset, 16).getBigUint64(8, true);
}

/** Reads $LogFile ($DATA of record 2), bounded. */
export async function readVolumeLogFile(volume: NtfsVolume): Promise<Uint8Array> {
  const stream = await volume.openStream(2);
  if (stream.size > LogLimits.maxLogFileSize) throw logLimit('NTFS_LOG_TOO_LARGE', `${stream.size} bytes exceed the cap of ${LogLimits.maxLogFileSize}`, 0, { size: stream.size });
  return stream.read(0, stream.size);
}

/**
 * @throws UnsupportedError NTFS_REPLAY_UNSUPPORTED_OP (nothing written) when an update must be applied;
 *         PreconditionError NTFS_NOT_WRITABLE when not a dry run and the source is read-only;
 *         the reader's CorruptError / LimitExceededError for a journal it cannot trust.
 */
export async function replayLogFile(volume: NtfsVolume, options: { dryRun?: boolean } = {}): Promise<ReplayReport> {
  const dryRun = options.dryRun ?? false;
  const log = await readVolumeLogFile(volume);
  const j: LogFileJournal = decodeLogFile(log, { clusterSize: volume.clusterSize });
  const base = { dryRun, version: j.version, undoApplied: 0, writes: [] as ReplayReport['writes'] };
  if (j.empty || j.clean) return { ...base, redoApplied: 0, result: 'clean', redoFrom: null, endLsn: null, recordsAnalysed: 0, redoneAlreadyOnDisk: 0, losers: [] };
  const a = analyseJournal(j);

  // Pass 1, reads only: every redo is on disk or applicable in memory; every loser's undo changes nothing.
  let onDisk = 0;
  let redoApplied = 0;
  const touched = new Map<number, { bytes: Uint8Array; usaOffset: number; usaCount: number; usn: number }>();
  for (const r of a.records) if (neverReplayable(r.update!.redoOperation)) throw refuse(r, 'redo', 'is not replayable');
  for (const r of a.redo) {
    const u = r.update!;
    if (operationTarget(u.redoOperation) === 'none') throw refuse(r, 'redo', 'has no target coldfix can check');
    const lsn = await targetPageLsn(volume, r);
    if (lsn === null) throw refuse(r, 'redo', 'targets a page without an LSN (it cannot be shown to be on disk) and coldfix does not apply that operation');
    const offset = Number(u.lcns[0]) * volume.clusterSize + u.clusterBlockOffset * 512;
    const held = touched.get(offset);
    const current = held ? viewOfLsn(held.bytes) : lsn;
    if (current >= r.lsn) { onDisk++; continue; }
    if (u.redoOperation !== NtfsLogOperation.UpdateResidentValue) throw refuse(r, 'redo', `is not on disk (target page LSN ${current}) and coldfix does not apply that operation`);
    const page = held ?? (await loadRecord(volume, r, offset));
    const done = redoUpdateResidentValue(page.bytes, r);
    if (done.problem) throw refuse(r, 'redo', done.problem);
    if (!done.changed) { onDisk++; continue; }
    touched.set(offset, page);
    redoApplied++;
  }
  for (const t of a.losers) for (const r of t.undo) if (changesDisk(r.update!.undoOperation)) throw refuse(r, 'undo', `of uncommitted transaction 0x${t.id.toString(16)} changes disk and coldfix does not apply undo operations`);

  // Pass 2: the clean restart page over both copies, at their device offsets.
  const page = encodeCleanRestartPage(log, j.current!, a.endLsn);
  const record = await volumeRecord(volume);
  const writes = [...[...touched].map(([offset, p]) => ({ offset, length: p.bytes.length })), ...devicePieces(record.runs, volume.clusterSize, 0, 2 * page.length)];
  const restartWrites = writes.slice(touched.size);
  if (!dryRun) {
    const source: ByteSource = volume.source;
    if (!isWritable(source)) throw new PreconditionError('the volume was opened read-only', { code: 'NTFS_NOT_WRITABLE', layer: LOGFILE_LAYER });
    const both = new Uint8Array(2 * page.length);
    both.set(page, 0);
    both.set(page, page.length);
    for (const [offset, page] of touched) {
      protectFixups(page.bytes, page.usaOffset, page.usaCount, nextUsn(page.usn));
      await source.write(offset, page.bytes);
    }
    let at = 0;
    for (const w of restartWrites) { await source.write(w.offset, both.subarray(at, at + w.length)); at += w.length; }
    await source.flush();
  }
  return {
    ...base, redoApplied, result: 'replayed', redoFrom: a.redoFrom.toString(), endLsn: a.endLsn.toString(), recordsAnalysed: a.records.length,
    redoneAlreadyOnDisk: onDisk, losers: a.losers.map((t) => t.id), writes,
  };
}

const viewOfLsn = (b: Uint8Array): bigint => new DataView(b.buffer, b.byteOffset, 16).getBigUint64(8, true);

/** The MFT record `r` targets, fixed up, with what writing it back needs. */
async function loadRecord(volume: NtfsVolume, r: LogRecord, offset: number): Promise<{ bytes: Uint8Array; usaOffset: number; usaCount: number; usn: number }> {
  const u = r.update!;
  const size = u.targetBlockSize > 0 ? u.targetBlockSize * 512 : volume.recordSize;
  if (size !== volume.recordSize || offset + size > volume.source.size) throw refuse(r, 'redo', `targets a ${size}-byte block, not an MFT record of ${volume.recordSize} bytes`);
  const bytes = (await volume.source.read(offset, size)).slice();
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const usaOffset = v.getUint16(4, true);
  const usaCount = v.getUint16(6, true);
  const fix = applyFixups(bytes, usaOffset, usaCount);
  if (!fix.ok) throw refuse(r, 'redo', `targets an MFT record whose fixups fail (${fix.problem})`);
  return { bytes, usaOffset, usaCount, usn: fix.updateSequenceNumber };
}

async function volumeRecord(volume: NtfsVolume): Promise<{ runs: Array<{ vcn: number; lcn: number | null; length: number }> }> {
  const data = findAttribute(await volume.readRecord(2), AttributeType.data, '');
  if (!data || data.resident) throw new PreconditionError('$LogFile has no non-resident $DATA', { code: 'NTFS_LOGFILE_RESIDENT', layer: LOGFILE_LAYER });
  return data;
}

/** Device byte ranges of stream bytes [start, start+length) through `runs`. */
function devicePieces(runs: Array<{ vcn: number; lcn: number | null; length: number }>, cluster: number, start: number, length: number): Array<{ offset: number; length: number }> {
  const out: Array<{ offset: number; length: number }> = [];
  let pos = start;
  const end = start + length;
  while (pos < end) {
    const vcn = Math.floor(pos / cluster);
    const run = runs.find((r) => vcn >= r.vcn && vcn < r.vcn + r.length);
    if (!run || run.lcn === null) throw new PreconditionError(`$LogFile byte 0x${pos.toString(16)} is not allocated`, { code: 'NTFS_LOGFILE_SPARSE', layer: LOGFILE_LAYER });
    const runEnd = (run.vcn + run.length) * cluster;
    const take = Math.min(end, runEnd) - pos;
    out.push({ offset: (run.lcn + vcn - run.vcn) * cluster + (pos % cluster), length: take });
    pos += take;
  }
  return out;
}
