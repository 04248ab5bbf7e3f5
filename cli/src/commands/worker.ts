/**
 * `coldfix worker --queue redis://HOST:PORT [--concurrency N]`: runs batch jobs from a BullMQ queue on
 * any host that sees the images (same paths as the producer), until SIGINT/SIGTERM, which lets the
 * jobs in flight finish. Keys come from this host's key options and each job's keys file.
 */
import type { Command } from 'commander';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { addImageOptions } from '../image-options.js';
import { printJsonLine } from '../output.js';
import { keysResolver } from './batch-inputs.js';
import type { ImageCliOptions } from '../image-options.js';

interface WorkerCliOptions extends ImageCliOptions {
  queue: string;
  queueName?: string;
  concurrency?: string;
  lockDuration?: string;
  stalledInterval?: string;
  json?: boolean;
  quiet?: boolean;
}

const positive = (value: string | undefined, name: string, fallback: number, max: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${name} must be 1..${max}, not ${value}`);
  return n;
};

export function registerWorkerCommand(program: Command, setExit: SetExit): void {
  const command = program
    .command('worker')
    .description('run batch jobs from a BullMQ queue (Redis) until SIGINT/SIGTERM')
    .requiredOption('--queue <url>', 'redis://HOST:PORT of the queue')
    .option('--queue-name <name>', 'BullMQ queue name (default coldfix)')
    .option('--concurrency <n>', 'images at a time on this host (worker threads; default 1)')
    .option('--lock-duration <ms>', "BullMQ lockDuration: a job whose worker stops renewing it for this long is stalled (default 30000)")
    .option('--stalled-interval <ms>', 'BullMQ stalledInterval: how often stalled jobs are moved back to wait (default 30000)')
    .option('--json', 'NDJSON events (start, done) on stdout')
    .option('--quiet', 'print nothing');
  addImageOptions(command);
  command.action(async (options: WorkerCliOptions) => {
    const concurrency = positive(options.concurrency, '--concurrency', 1, 256);
    const lockDuration = positive(options.lockDuration, '--lock-duration', 30_000, 3_600_000);
    const stalledInterval = positive(options.stalledInterval, '--stalled-interval', 30_000, 3_600_000);
    const { startWorker, checkRedis } = await import('@coldfix/batch/queue');
    await checkRedis(options.queue);
    const handle = startWorker(options.queue, options.queueName ?? 'coldfix', {
      concurrency,
      lockDuration,
      stalledInterval,
      workerFile: process.env.COLDFIX_BATCH_WORKER,
      keysFor: keysResolver(options),
      onEvent: (event) => {
        if (options.quiet) return;
        if (options.json) printJsonLine(event);
        else process.stdout.write(`${event.event === 'start' ? 'start' : (event.result ?? 'done').padEnd(8)} ${event.image} ${event.key}\n`);
      },
    });
    handle.worker.on('error', (error) => process.stderr.write(`coldfix worker: ${error.message}\n`));
    await handle.worker.waitUntilReady();
    if (!options.quiet && !options.json) process.stdout.write(`coldfix worker: ready on ${options.queueName ?? 'coldfix'} (concurrency ${concurrency})\n`);
    if (options.json) printJsonLine({ event: 'ready', concurrency });
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await handle.close();
    setExit(ExitCode.ok);
  });
}
