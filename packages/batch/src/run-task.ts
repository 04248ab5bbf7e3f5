/**
 * Runs one image's action (repair, dry-run, verify, info) and turns whatever happens into one
 * ResultLine: a typed error travels as its JSON (class kind, code, details), so it survives a
 * worker-thread or queue boundary. Used by the piscina worker and the BullMQ worker alike.
 *
 * Before writing, an unfinished undo journal beside the image (a worker killed mid-repair, a
 * stalled queue job) is rolled back first: the image is back to its original bytes before the
 * retry plans anything. A complete journal (a repair that finished and was kept) is left alone.
 */
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { findJournal, isColdfixError, rollbackImage, type ErrorKind } from '@coldfix/io';
import { repairImage, verifyImage } from '@coldfix/repair';
import { openImage, type OpenImageOptions } from '@coldfix/volumes';
import type { BatchTask, ImageResult, ResultLine } from './types.js';

/** Error kinds that another try will not change (the image or its keys are what they are). */
const PERMANENT: ReadonlySet<ErrorKind> = new Set(['corrupt', 'unsupported', 'out-of-range', 'limit-exceeded', 'unlock-failed', 'not-found', 'precondition', 'parent-mismatch']);

export function workerName(): string {
  return `${hostname()}:${process.pid}:${threadId}`;
}

export async function runTask(task: BatchTask): Promise<ResultLine> {
  const started = performance.now();
  const { entry, options } = task;
  const open: OpenImageOptions = { keys: task.keys, parentDirs: options.parentDirs, journalDir: options.journalDir, sectorSize: options.sectorSize };
  const base = { key: task.key, image: entry.image, action: entry.action, worker: workerName() };
  let rolledBack: string | undefined;
  try {
    if (entry.action === 'repair') {
      const target = entry.output ?? entry.image;
      const journal = await findJournal(target, { journalDir: options.journalDir });
      if (journal?.state === 'unfinished') {
        await rollbackImage(target, { journalDir: options.journalDir });
        rolledBack = journal.journalPath;
      }
    }
    let result: ImageResult;
    let report: unknown;
    let bytesRead = 0;
    let phases: Record<string, number> | undefined;
    if (entry.action === 'repair' || entry.action === 'dry-run') {
      const r = await repairImage(entry.image, {
        ...open,
        rules: options.rules,
        onlyBad: options.onlyBad,
        dryRun: entry.action === 'dry-run',
        commit: options.commit,
        forceUncleanLog: options.forceUncleanLog,
        partition: entry.partition,
        output: entry.output,
      });
      result = r.result;
      report = r;
      bytesRead = r.bytesRead;
      phases = repairPhases();
    } else if (entry.action === 'verify') {
      const r = await verifyImage(entry.image, open, { rules: options.rules, onlyBad: options.onlyBad, partition: entry.partition });
      result = r.result;
      report = r;
      bytesRead = r.bytesRead;
    } else {
      const opened = await openImage(entry.image, open);
      try {
        report = { ...opened.summary, volumes: opened.volumes.map(({ device: _device, ...v }) => v) };
        bytesRead = opened.ioStats().bytesRead;
      } finally {
        await opened.close();
      }
      result = 'info';
    }
    const final = result !== 'failed';
    return { ...base, result, final, report, ...(rolledBack ? { rolledBack } : {}), ...(phases ? { phases } : {}), bytesRead, seconds: (performance.now() - started) / 1000, finishedAt: new Date().toISOString() };
  } catch (error) {
    const serialised = isColdfixError(error)
      ? error.toJSON()
      : { kind: 'internal' as const, name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) };
    const final = serialised.kind !== 'internal' && PERMANENT.has(serialised.kind);
    return { ...base, result: 'error', final, error: serialised, ...(rolledBack ? { rolledBack } : {}), bytesRead: 0, seconds: (performance.now() - started) / 1000, finishedAt: new Date().toISOString() };
  }
}

/** Seconds spent in each phase of the repair that just ran (its `repair:*` performance marks, in order). */
function repairPhases(): Record<string, number> {
  const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('repair:')).sort((a, b) => a.startTime - b.startTime);
  const out: Record<string, number> = {};
  const end = performance.now();
  marks.forEach((mark, i) => {
    const next = marks[i + 1]?.startTime ?? end;
    out[mark.name.slice(7)] = Math.round(next - mark.startTime) / 1000;
  });
  return out;
}
