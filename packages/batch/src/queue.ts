/**
 * Past one machine on BullMQ (5.x) over Redis. The producer adds one job per image with job id = the
 * idempotency key (adding a key already there is a no-op: a re-run follows the existing job, and a
 * finished one answers at once) and follows them through QueueEvents; `coldfix worker` processes jobs
 * on a piscina pool, so its event loop stays free to renew job locks while repairs run.
 *
 * Retries, backoff and stalled-job recovery are BullMQ's: `attempts` + exponential `backoff` on the
 * job, `lockDuration` / `stalledInterval` / `maxStalledCount` on the worker. A job whose worker died
 * is moved back to wait by another worker's stalled check and retried there; its task first rolls back
 * the unfinished undo journal the dead worker left (run-task.ts). Keys never enter Redis: a job names
 * its keys file and each worker reads it on its own host.
 *
 * Outcomes: a typed error that retrying cannot change (corrupt image, wrong key) completes the job
 * with an `error` result line; an internal or I/O error throws, so BullMQ retries it, and the
 * producer turns a job failed for good into an `error` line with its reason.
 */
import { Queue, QueueEvents, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { hostname } from 'node:os';
import { PreconditionError } from '@coldfix/io';
import type { OpenImageOptions } from '@coldfix/volumes';
import { withKeyAfter, type PlannedEntry } from './plan.js';
import { createTaskPool } from './pool.js';
import type { ManifestEntry, ResultLine, SharedTaskOptions } from './types.js';

export interface QueueJobData {
  key: string;
  entry: ManifestEntry;
  options: SharedTaskOptions;
}

/** redis://[:password@]host:port[/db] or rediss:// (TLS) into ioredis options. */
export function connectionFrom(url: string): ConnectionOptions & RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PreconditionError(`--queue must be a redis:// URL`, { code: 'BATCH_BAD_QUEUE_URL', layer: 'batch' });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new PreconditionError(`--queue must be a redis:// or rediss:// URL, not ${parsed.protocol}`, { code: 'BATCH_BAD_QUEUE_URL', layer: 'batch' });
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(Number.isInteger(db) ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's workers block on Redis; ioredis must not give up on a command while they do.
    maxRetriesPerRequest: null,
  };
}

export interface EnqueueOptions {
  signal?: AbortSignal;
  onResult?: (line: ResultLine, planned: PlannedEntry) => void | Promise<void>;
  /** BullMQ job attempts (default 3) and exponential backoff base in ms (default 5000). */
  attempts?: number;
  backoffMs?: number;
  /** How long to wait for Redis before giving up with BATCH_QUEUE_UNREACHABLE (default 30 s). */
  readyTimeoutMs?: number;
}

/** Resolves when `ready` does, or throws a typed error after `ms` (ioredis would otherwise retry forever). */
export async function untilReady(ready: Promise<unknown>, url: string, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PreconditionError(`no answer from the queue's Redis at ${new URL(url).host} within ${ms} ms`, { code: 'BATCH_QUEUE_UNREACHABLE', layer: 'batch', details: { host: new URL(url).host } })), ms);
  });
  try {
    await Promise.race([ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Enqueues the planned (not skipped) images and follows them; resolves with those not finished when the signal stopped it. */
export async function enqueueAndFollow(url: string, name: string, planned: PlannedEntry[], options: SharedTaskOptions, run: EnqueueOptions = {}): Promise<PlannedEntry[]> {
  // Our own ioredis clients (QueueEvents blocks, so it gets its own), checked before any BullMQ object
  // exists: when Redis never answers they are disconnected at once and nothing keeps retrying.
  const options_ = connectionFrom(url);
  const clients = [new Redis(options_), new Redis(options_)];
  for (const client of clients) client.on('error', () => undefined);
  const readyClient = (client: Redis) => (client.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => client.once('ready', () => resolve())));
  try {
    await untilReady(Promise.all(clients.map(readyClient)), url, run.readyTimeoutMs ?? 30_000);
  } catch (error) {
    for (const client of clients) client.disconnect();
    throw error;
  }
  const queue = new Queue<QueueJobData, ResultLine>(name, { connection: clients[0] });
  const events = new QueueEvents(name, { connection: clients[1] });
  const todo = planned.filter((p) => !p.skip);
  const pending = new Set(todo);
  try {
    await Promise.all([events.waitUntilReady(), queue.waitUntilReady()]);
    const jobs = await queue.addBulk(
      todo.map((p) => ({
        name: p.entry.action,
        data: { key: p.key, entry: p.entry, options },
        opts: { jobId: p.key, attempts: run.attempts ?? 3, backoff: { type: 'exponential', delay: run.backoffMs ?? 5000 }, removeOnComplete: false, removeOnFail: false },
      })),
    );
    const stopped = new Promise<void>((resolve) => {
      if (run.signal?.aborted) resolve();
      run.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    let chain = Promise.resolve();
    const follow = jobs.map(async (job, i) => {
      const item = todo[i];
      let line: ResultLine;
      try {
        line = await withKeyAfter((await job.waitUntilFinished(events)) as ResultLine, item.entry, options);
      } catch (error) {
        line = failedLine(item, error);
      }
      if (run.signal?.aborted) return;
      pending.delete(item);
      // One result at a time, in the order they end, so the results file gets whole lines in order.
      chain = chain.then(() => run.onResult?.(line, item));
      await chain;
    });
    await Promise.race([Promise.all(follow), stopped]);
  } finally {
    await Promise.all([events.close(), queue.close()]);
    for (const client of clients) client.disconnect();
  }
  return [...pending];
}

function failedLine(item: PlannedEntry, error: unknown): ResultLine {
  return {
    key: item.key,
    image: item.entry.image,
    action: item.entry.action,
    result: 'error',
    final: false,
    error: { kind: 'internal', name: 'JobFailed', message: error instanceof Error ? error.message : String(error) },
    bytesRead: 0,
    seconds: 0,
    worker: 'queue',
    finishedAt: new Date().toISOString(),
  };
}

/** Throws BATCH_QUEUE_UNREACHABLE unless Redis at `url` answers within `ms` (checked before a Worker exists). */
export async function checkRedis(url: string, ms = 30_000): Promise<void> {
  const client = new Redis(connectionFrom(url));
  client.on('error', () => undefined);
  try {
    await untilReady(new Promise<void>((resolve) => client.once('ready', () => resolve())), url, ms);
  } finally {
    client.disconnect();
  }
}

export interface WorkerOptions {
  concurrency?: number;
  workerFile?: string;
  keysFor?: (entry: ManifestEntry) => Promise<OpenImageOptions['keys']>;
  /** BullMQ worker settings (ms): lock held while a job runs, and how often stalled jobs are looked for. */
  lockDuration?: number;
  stalledInterval?: number;
  maxStalledCount?: number;
  onEvent?: (event: { event: 'start' | 'done'; key: string; image: string; result?: string; worker: string }) => void;
}

/** Starts a worker; close() waits for the jobs in flight. */
export function startWorker(url: string, name: string, options: WorkerOptions = {}): { close(): Promise<void>; worker: Worker<QueueJobData, ResultLine> } {
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const pool = createTaskPool(concurrency, options.workerFile);
  const me = `${hostname()}:${process.pid}`;
  const processor = async (job: Job<QueueJobData, ResultLine>): Promise<ResultLine> => {
    const { key, entry, options: shared } = job.data;
    options.onEvent?.({ event: 'start', key, image: entry.image, worker: me });
    const keys = await options.keysFor?.(entry);
    const line = await pool.run({ key, entry, options: shared, ...(keys ? { keys } : {}) });
    options.onEvent?.({ event: 'done', key, image: entry.image, result: line.result, worker: me });
    // Not final (internal, I/O): throw, so BullMQ's attempts and backoff decide on a retry.
    if (line.result === 'error' && !line.final) throw new Error(`${line.error?.name ?? 'Error'}: ${line.error?.message ?? 'unknown'}`);
    return line;
  };
  const worker = new Worker<QueueJobData, ResultLine>(name, processor, {
    connection: connectionFrom(url),
    concurrency,
    lockDuration: options.lockDuration ?? 30_000,
    stalledInterval: options.stalledInterval ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 1,
  });
  return {
    worker,
    async close() {
      await worker.close();
      await pool.destroy();
    },
  };
}
