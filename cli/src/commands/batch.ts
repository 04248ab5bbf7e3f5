/** `coldfix batch IMAGE|DIR...`: repair many images in parallel on worker threads; NDJSON out. */
import type { Command } from 'commander';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BatchOutcome } from '@coldfix/batch';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { addImageOptions, addWriteOptions, imageOptionsFrom, type ImageCliOptions } from '../image-options.js';
import { printJsonLine } from '../output.js';
import { exitCodeFor, selectRules } from './repair.js';

interface BatchCliOptions extends ImageCliOptions {
  rule?: string[];
  rules?: string;
  onlyBad?: boolean;
  dryRun?: boolean;
  commit?: boolean;
  forceUncleanLog?: boolean;
  jobs?: string;
  json?: boolean;
}

export function registerBatchCommand(program: Command, setExit: SetExit): void {
  const command = program
    .command('batch')
    .description('repair many images in parallel (worker threads); a folder stands for every image file in it')
    .argument('<images...>', 'image files or folders of images')
    .option('--rule <id...>', 'built-in rules (default crowdstrike-291 unless --rules is given)')
    .option('--rules <file>', 'more rules from a JSON or YAML file')
    .option('--only-bad', 'act only on matches classified bad')
    .option('--dry-run', 'plan only, every image opened read-only')
    .option('--commit', 'drop each undo journal after a verified repair')
    .option('--force-unclean-log', 'RISK: reset unclean $LogFiles instead of refusing')
    .option('--jobs <n>', 'worker threads (default: cores)')
    .option('--json', 'one JSON report per line (NDJSON), then a summary line');
  addImageOptions(command);
  addWriteOptions(command);
  command.action(async (inputs: string[], options: BatchCliOptions) => {
    const images = await expandInputs(inputs);
    const jobs = options.jobs === undefined ? undefined : Number(options.jobs);
    if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1 || jobs > 256)) throw new UsageError(`--jobs must be 1..256, not ${options.jobs}`);
    const repairOptions = {
      ...(await imageOptionsFrom(options)),
      rules: await selectRules(options),
      onlyBad: options.onlyBad,
      dryRun: options.dryRun,
      commit: options.commit,
      forceUncleanLog: options.forceUncleanLog,
    };
    // Loaded here, not at start-up: the worker pool (piscina, worker_threads) costs every other command ~0.07 s CPU.
    const { runBatch } = await import('@coldfix/batch');
    const outcomes = await runBatch(images, repairOptions, { jobs, onOutcome: (outcome) => printOutcome(outcome, options.json ?? false) });
    const counts: Record<string, number> = {};
    let worst: number = ExitCode.ok;
    for (const outcome of outcomes) {
      const key = outcome.ok ? outcome.report.result : 'error';
      counts[key] = (counts[key] ?? 0) + 1;
      worst = Math.max(worst, severity(outcomeExit(outcome)));
    }
    if (options.json) printJsonLine({ summary: { images: outcomes.length, ...counts } });
    else process.stdout.write(`batch: ${outcomes.length} image(s): ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')}\n`);
    setExit(fromSeverity(worst));
  });
}

function outcomeExit(outcome: BatchOutcome): number {
  if (outcome.ok) return exitCodeFor(outcome.report);
  const kind = 'kind' in outcome.error ? outcome.error.kind : 'internal';
  return kind === 'internal' ? ExitCode.internal : kind === 'precondition' ? ExitCode.refused : ExitCode.badInput;
}

// Exit code of a batch: the most serious outcome (internal > bad input > refused > incomplete > affected > ok).
const order = [ExitCode.ok, ExitCode.affected, ExitCode.incomplete, ExitCode.refused, ExitCode.badInput, ExitCode.internal] as number[];
const severity = (code: number) => Math.max(0, order.indexOf(code));
const fromSeverity = (rank: number) => order[rank];

function printOutcome(outcome: BatchOutcome, json: boolean): void {
  if (json) {
    printJsonLine(outcome.ok ? outcome.report : { image: outcome.image, result: 'error', error: outcome.error });
    return;
  }
  if (outcome.ok) {
    const r = outcome.report;
    const matches = r.volumes.reduce((n, v) => n + v.matches.length, 0);
    process.stdout.write(`${r.result.padEnd(8)} ${outcome.image}: ${matches} match(es), ${r.seconds.toFixed(2)} s\n`);
  } else {
    process.stdout.write(`error    ${outcome.image}: ${outcome.error.message}${'code' in outcome.error ? ` [${outcome.error.code}]` : ''}\n`);
  }
}

async function expandInputs(inputs: string[]): Promise<string[]> {
  const images: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => null);
    if (!info) throw new UsageError(`${input}: no such file or folder`);
    if (!info.isDirectory()) {
      images.push(input);
      continue;
    }
    for (const name of (await readdir(input)).sort()) {
      if (name.endsWith('.coldfix-journal')) continue;
      const path = join(input, name);
      const entry = await stat(path);
      if (entry.isFile() || entry.isBlockDevice()) images.push(path);
    }
  }
  if (images.length === 0) throw new UsageError('no images given');
  return images;
}
