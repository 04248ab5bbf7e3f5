/**
 * Sharding without a broker: task I of N takes the keys whose hash falls in its bucket. The hash is of
 * the image's path (not its key, which changes when the image is repaired), so the same image stays
 * on the same shard across runs. The index comes from `--shard I/N` (1-based) or `--index I` (0-based)
 * or from the variables Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX) and AWS Batch array jobs
 * (AWS_BATCH_JOB_ARRAY_INDEX) set.
 */
import { createHash } from 'node:crypto';
import { PreconditionError } from '@coldfix/io';

export interface Shard {
  /** 0-based. */
  index: number;
  count: number;
}

const usage = (message: string) => new PreconditionError(message, { code: 'BATCH_BAD_SHARD', layer: 'batch' });

/** Parses `I/N` (1-based I). */
export function parseShard(text: string): Shard {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text.trim());
  if (!m) throw usage(`--shard must be I/N (e.g. 2/8), not ${text}`);
  const index = Number(m[1]) - 1;
  const count = Number(m[2]);
  if (count < 1 || index < 0 || index >= count) throw usage(`--shard ${text}: I must be 1..N`);
  return { index, count };
}

/** `--index I` (0-based) or the array index from the environment, with `--shards N`. */
export function shardFromIndex(index: string | undefined, count: number, env: Record<string, string | undefined>): Shard {
  const text = index ?? env.JOB_COMPLETION_INDEX ?? env.AWS_BATCH_JOB_ARRAY_INDEX;
  if (text === undefined) throw usage('--shards given without --index, JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX');
  if (!/^\d{1,6}$/.test(text)) throw usage(`shard index must be a non-negative integer, not ${text}`);
  const value = Number(text);
  if (!Number.isInteger(count) || count < 1) throw usage('--shards must be a positive integer');
  if (value >= count) throw usage(`shard index ${value} is not below the shard count ${count}`);
  return { index: value, count };
}

/** Whether `image` belongs to `shard`: first 48 bits of sha256(path) mod N. */
export function inShard(image: string, shard: Shard): boolean {
  const h = createHash('sha256').update(image).digest();
  return h.readUIntBE(0, 6) % shard.count === shard.index;
}
