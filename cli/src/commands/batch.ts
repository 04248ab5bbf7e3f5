/**
 * `coldfix batch MANIFEST|DIR|IMAGE...`: many images, on worker threads here (piscina) or through a
 * BullMQ queue (`--queue redis://…`, see batch-queue.ts). Results are data: each finished image
 * appends its full report as one JSON line to `--results FILE`; `--resume` skips what is final there;
 * `--shard I/N` (or `--index I --shards N`, or the index Kubernetes / AWS Batch set) runs a stable share.
 * SIGINT/SIGTERM stop handing out images; those in flight finish (or roll themselves back).
 */
import type { Command } from 'commander';
import { performance } from 'node:perf_hooks';
import type { BatchAction, PlannedEntry, ResultLine, Shard } from '@coldfix/batch';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { addImageOptions, addWriteOptions } from '../image-options.js';
import { entriesFrom, keysResolver, lineExit, sharedOptionsFrom, worstExit, type SharedCliOptions } from './batch-inputs.js';
import { createProgress, progressMode } from './batch-progress.js';

export interface BatchCliOptions extends SharedCliOptions {
  do?: string;
  dryRun?: boolean;
  jobs?: string;
  results?: string;
  resume?: boolean;
  shard?: string;
  index?: string;
  shards?: string;
  queue?: string;
  queueName?: string;
  json?: boolean;
  quiet?: boolean;
}

/** Exit code of a batch stopped by a signal before every image ran: rerun with --resume. */
export const INTERRUPTED_EXIT = ExitCode.interrupted;

export function registerBatchCommand(program: Command, setExit: SetExit): void {
  const command = program
    .command('batch')
    .description('run many images (a manifest, a folder scanned for images, or image files) on worker threads or a BullMQ queue')
    .argument('<inputs...>', 'a manifest (.jsonl/.csv), a folder of images, or image files')
    .option('--do <action>', 'repair | verify | dry-run | info, for manifest lines that name no action (default repair)')
    .option('--dry-run', 'same as --do dry-run')
    .option('--rule <id...>', 'built-in rules (default crowdstrike-291 unless --rules is given)')
    .option('--rules <file>', 'more rules from a JSON or YAML file')
    .option('--only-bad', 'act only on matches classified bad')
    .option('--commit', 'drop each undo journal after a verified repair')
    .option('--force-unclean-log', 'RISK: reset unclean $LogFiles instead of refusing')
    .option('--jobs <n>', 'worker threads (default: cores)')
    .option('--results <file>', 'append one JSON line per finished image (its full report) to this file; {shard} in it becomes the shard index')
    .option('--resume', 'skip images whose result in --results is already final')
    .option('--shard <I/N>', 'run only shard I of N (1-based), a stable share of the images')
    .option('--index <i>', 'shard index, 0-based (default: JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX); with --shards')
    .option('--shards <n>', 'number of shards, with --index or an array-job index from the environment')
    .option('--queue <url>', 'enqueue on BullMQ at redis://HOST:PORT and follow the jobs (`coldfix worker` runs them)')
    .option('--queue-name <name>', 'BullMQ queue name (default coldfix)')
    .option('--json', 'NDJSON events: start, one per image (its result line), summary')
    .option('--quiet', 'print nothing; the exit code says how it went');
  addImageOptions(command);
  addWriteOptions(command);
  command.action(async (inputs: string[], options: BatchCliOptions) => {
    const action = (options.dryRun ? 'dry-run' : (options.do ?? 'repair')) as BatchAction;
    if (!['repair', 'verify', 'dry-run', 'info'].includes(action)) throw new UsageError(`--do must be repair, verify, dry-run or info, not ${options.do}`);
    const jobs = options.jobs === undefined ? undefined : Number(options.jobs);
    if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1 || jobs > 256)) throw new UsageError(`--jobs must be 1..256, not ${options.jobs}`);
    if (options.resume && !options.results) throw new UsageError('--resume needs --results FILE');
    const batch = await import('@coldfix/batch');
    const shard = shardFrom(options, batch);
    const shared = await sharedOptionsFrom(options);
    const entries = await entriesFrom(inputs, action);
    const started = performance.now();
    // `{shard}` in --results becomes this task's 0-based shard index: one results file per array task.
    const resultsPath = options.results?.replaceAll('{shard}', String(shard?.index ?? 0));
    const previous = resultsPath && options.resume ? await batch.readResults(resultsPath) : null;
    const progress = await createProgress(progressMode(options));
    if (previous?.torn) progress.note(`${resultsPath}: its last line was cut short (a killed run) and is ignored`);
    const planned = await batch.planBatch(entries, shared, { shard, done: previous?.final });
    const writer = resultsPath ? await batch.ResultsWriter.open(resultsPath) : null;
    const results: ResultLine[] = [];
    const record = async (line: ResultLine) => {
      await writer?.append(line);
      results.push(line);
      progress.image(line);
    };
    const runnable = planned.filter((p) => !p.skip);
    progress.start(runnable.length, planned.length - runnable.length);
    for (const p of planned) if (p.skip === 'shared-parent') progress.note(`${p.entry.image}: a parent of another image of the batch; not written`);

    const abort = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (abort.signal.aborted) return;
      progress.note(`${signal}: no new images; waiting for those in flight to finish or roll back`);
      abort.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let notStarted: PlannedEntry[] = [];
    try {
      if (options.queue) {
        const { runOnQueue } = await import('./batch-queue.js');
        notStarted = await runOnQueue(options.queue, options.queueName ?? 'coldfix', planned, shared, { signal: abort.signal, onResult: record });
      } else {
        const run = await batch.runLocal(planned, shared, {
          jobs,
          workerFile: process.env.COLDFIX_BATCH_WORKER,
          signal: abort.signal,
          keysFor: keysResolver(options),
          onResult: record,
        });
        notStarted = run.notStarted;
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await writer?.close();
    }
    const interrupted = notStarted.length > 0;
    const summary = batch.summarise(planned, results, notStarted.length, (performance.now() - started) / 1000, interrupted);
    progress.end(summary);
    const worst = worstExit(results.map(lineExit));
    setExit(interrupted && worst === ExitCode.ok ? INTERRUPTED_EXIT : worst);
  });
}

function shardFrom(options: BatchCliOptions, batch: typeof import('@coldfix/batch')): Shard | undefined {
  if (options.shard && (options.index || options.shards)) throw new UsageError('give --shard I/N or --index/--shards, not both');
  if (options.shard) return batch.parseShard(options.shard);
  if (options.shards) return batch.shardFromIndex(options.index, Number(options.shards), process.env);
  if (options.index) throw new UsageError('--index needs --shards N');
  return undefined;
}
