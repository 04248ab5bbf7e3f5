/**
 * `coldfix log IMAGE|LOGFILE [--json] [--transactions] [--record N]`: the NTFS
 * journal of a volume (its $LogFile, record 2) or of a bare $LogFile copy,
 * detected by content (a restart page, or an emptied all-0xFF log): restart
 * areas, the checkpoint and its tables, and every record with its LSN,
 * transaction, redo/undo operation and target, with the file names it
 * carries and, on a volume, the path of its target record.
 */
import type { Command } from 'commander';
import { open } from 'node:fs/promises';
import { attributeTypeName, decodeLogFile, LogLimits, type LogFileJournal, type LogRecord, type NtfsVolume } from '@coldfix/ntfs';
import { LimitExceededError } from '@coldfix/io';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { addNtfsOptions, jsonReplacer, openNtfs, StdoutBuffer, type NtfsCliOptions } from '../open-ntfs.js';
import { describeJournal, describeRecord, recordTargets } from './log-format.js';

interface LogOptions extends NtfsCliOptions { json?: boolean; transactions?: boolean; record?: string }

export function registerLogCommand(program: Command, setExit: SetExit): void {
  const command = program
    .command('log')
    .description('show the NTFS journal ($LogFile) of a volume or of a bare $LogFile copy: restart areas, checkpoint, records')
    .argument('<image>', 'disk image, partition, NTFS volume file, or a copy of $LogFile')
    .option('--json', 'NDJSON: one object per line (journal, restart pages, checkpoint, then records or transactions)')
    .option('--transactions', 'list transactions (records, LSN range, state) instead of records')
    .option('--record <n>', 'only the records whose target is MFT record N');
  addNtfsOptions(command);
  command.action(async (image: string, options: LogOptions) => {
    let only: number | undefined;
    if (options.record !== undefined) {
      only = Number(options.record);
      if (!Number.isInteger(only) || only < 0) throw new UsageError(`--record must be an MFT record number, not ${options.record}`);
    }
    const { bytes, volume, close } = await loadJournal(image, options);
    try {
      const journal = decodeLogFile(bytes, volume ? { clusterSize: volume.clusterSize } : {});
      const paths = new Map<number, string>();
      if (volume) for (const r of journal.records) for (const n of recordTargets(r)) if (!paths.has(n)) paths.set(n, await pathOf(volume, n));
      const records = journal.records.filter((r) => only === undefined || recordTargets(r).includes(only));
      const out = new StdoutBuffer();
      if (options.json) await writeJson(out, journal, records, paths, options.transactions === true);
      else {
        await out.write(describeJournal(journal, volume ? 'volume' : 'copy'));
        if (options.transactions) {
          await out.write(`\ntransactions: ${journal.transactions.length}\n  id        records  first LSN        last LSN         state\n`);
          for (const t of journal.transactions) await out.write(`  0x${t.id.toString(16).padEnd(7)} ${String(t.records).padStart(7)}  ${String(t.firstLsn).padEnd(16)} ${String(t.lastLsn).padEnd(16)} ${t.state}\n`);
        } else {
          await out.write(`\nrecords: ${records.length}${only !== undefined ? ` targeting MFT record ${only}` : ''} (${records.filter((r) => r.stale).length} stale)\n`);
          for (const r of records) await out.write(`${describeRecord(r, paths)}\n`);
        }
      }
      await out.flush();
      setExit(ExitCode.ok);
    } finally {
      await close();
    }
  });
}

/** A bare copy of $LogFile starts with a restart page or is all 0xFF (emptied). */
function looksLikeLogFile(head: Uint8Array): boolean {
  const magic = String.fromCharCode(...head.subarray(0, 4));
  if (magic === 'RSTR' || magic === 'CHKD') return true;
  return head.length >= 8192 && head.subarray(0, 8192).every((b) => b === 0xff);
}

async function loadJournal(image: string, options: LogOptions): Promise<{ bytes: Uint8Array; volume: NtfsVolume | null; close(): Promise<void> }> {
  const handle = await open(image, 'r');
  try {
    const { size } = await handle.stat();
    const head = new Uint8Array(Math.min(size, 8192));
    await handle.read(head, 0, head.length, 0);
    if (looksLikeLogFile(head)) {
      if (size > LogLimits.maxLogFileSize) throw new LimitExceededError(`$LogFile copy of ${size} bytes exceeds ${LogLimits.maxLogFileSize}`, { code: 'NTFS_LOG_TOO_LARGE', layer: 'cli', details: { size } });
      const bytes = new Uint8Array(size);
      await handle.read(bytes, 0, size, 0);
      return { bytes, volume: null, close: async () => {} };
    }
  } finally {
    await handle.close();
  }
  const opened = await openNtfs(image, options);
  try {
    const stream = await opened.volume.openStream(2);
    if (stream.size > LogLimits.maxLogFileSize) throw new LimitExceededError(`$LogFile of ${stream.size} bytes exceeds ${LogLimits.maxLogFileSize}`, { code: 'NTFS_LOG_TOO_LARGE', layer: 'cli', details: { size: stream.size } });
    return { bytes: await stream.read(0, stream.size), volume: opened.volume, close: opened.close };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/** The path of MFT record `n` from its names' parents (best effort: a record the log names may be gone). */
async function pathOf(volume: NtfsVolume, n: number): Promise<string> {
  const parts: string[] = [];
  let current = n;
  for (let depth = 0; depth < 256 && current !== 5; depth++) {
    let details;
    try {
      details = await volume.stat(current);
    } catch {
      return parts.length ? `?/${parts.join('/')}` : '?';
    }
    const name = details.fileNames.find((f) => f.namespace !== 'dos') ?? details.fileNames[0];
    if (!name) return parts.length ? `?/${parts.join('/')}` : `(record ${n}, no name)`;
    parts.unshift(name.name);
    if (name.parentRecordNumber === current) break;
    current = name.parentRecordNumber;
  }
  return `/${parts.join('/')}`;
}

async function writeJson(out: StdoutBuffer, j: LogFileJournal, records: LogRecord[], paths: Map<number, string>, transactions: boolean): Promise<void> {
  const line = async (v: unknown): Promise<void> => out.write(`${JSON.stringify(v, jsonReplacer)}\n`);
  await line({
    type: 'journal', empty: j.empty, version: j.version, clean: j.clean, size: j.size, truncated: j.truncated, firstDataOffset: j.firstDataOffset,
    endOffset: j.endOffset, validPages: j.validPages, damagedPages: j.damagedPages, applied: j.applied, unapplied: j.unapplied,
    clusterSize: j.clusterSize, records: j.records.length, transactions: j.transactions.length, anomalies: j.anomalies,
  });
  for (const c of j.restart?.copies ?? []) await line({ type: 'restart-page', inForce: c.ok && c.page === j.current, ...(c.ok ? c.page : { offset: c.offset, problem: c.problem }) });
  if (j.checkpoint) await line({ type: 'checkpoint', ...j.checkpoint });
  if (transactions) for (const t of j.transactions) await line({ type: 'transaction', ...t });
  else for (const r of records) {
    const u = r.update;
    await line({
      type: 'record', lsn: r.lsn, previousLsn: r.previousLsn, undoNextLsn: r.undoNextLsn, transactionId: r.transactionId, recordType: r.recordType,
      flags: r.flags, offset: r.offset, pageSpan: r.pageSpan, stale: r.stale, clientDataLength: r.clientDataLength,
      ...(u ? {
        redo: u.redoOperationName, undo: u.undoOperationName, redoOperation: u.redoOperation, undoOperation: u.undoOperation,
        redoLength: u.redoLength, undoLength: u.undoLength, targetAttribute: u.targetAttribute, targetVcn: u.targetVcn,
        clusterBlockOffset: u.clusterBlockOffset, recordOffset: u.recordOffset, attributeOffset: u.attributeOffset, lcns: u.lcns,
        mftRecord: u.mftRecord, problems: u.problems,
      } : {}),
      attribute: r.attribute ? { ...r.attribute, typeName: attributeTypeName(r.attribute.attributeType) } : null,
      targetPaths: Object.fromEntries(recordTargets(r).filter((n) => paths.has(n)).map((n) => [n, paths.get(n)])),
      names: r.names,
    });
  }
}
