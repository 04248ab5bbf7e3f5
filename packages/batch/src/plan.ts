/**
 * From manifest entries to tasks: the idempotency key of each, which are already final in a results
 * file (`--resume`), which belong to this shard, and which must not be written because another image
 * of the batch is a differencing child of them (a write to a parent corrupts every child; the child's
 * own repair writes only the child).
 */
import { createHash } from 'node:crypto';
import { isColdfixError } from '@coldfix/io';
import { openImage } from '@coldfix/volumes';
import { digestOptions, idempotencyKey } from './identity.js';
import { inShard, type Shard } from './shard.js';
import type { ManifestEntry, ResultLine, SharedTaskOptions } from './types.js';

export interface PlannedEntry {
  entry: ManifestEntry;
  key: string;
  skip?: 'resumed' | 'shared-parent';
}

export interface PlanOptions {
  shard?: Shard;
  /** Final results already on file, by key. */
  done?: Map<string, ResultLine>;
}

/** Paths of images that are parents of another image of the list (opened read-only, chains only). */
export async function findSharedParents(entries: ManifestEntry[], options: SharedTaskOptions): Promise<Set<string>> {
  const images = new Set(entries.map((e) => e.image));
  const parents = new Set<string>();
  for (const image of images) {
    try {
      const opened = await openImage(image, { parentDirs: options.parentDirs, sectorSize: options.sectorSize });
      try {
        for (const member of opened.summary.chain.slice(1)) if (images.has(member.path)) parents.add(member.path);
      } finally {
        await opened.close();
      }
    } catch (error) {
      // An image that does not open is reported by its own task; here it only has no chain.
      if (!isColdfixError(error)) throw error;
    }
  }
  return parents;
}

/** Adds `keyAfter`: the key of the image as the work left it, so a resumed batch knows a repaired image as done. */
export async function withKeyAfter(line: ResultLine, entry: ManifestEntry, options: SharedTaskOptions): Promise<ResultLine> {
  try {
    return { ...line, keyAfter: await idempotencyKey(entry, digestOptions(options)) };
  } catch {
    return line;
  }
}

export async function planBatch(entries: ManifestEntry[], options: SharedTaskOptions, plan: PlanOptions = {}): Promise<PlannedEntry[]> {
  const digest = digestOptions(options);
  const mine = plan.shard ? entries.filter((e) => inShard(e.image, plan.shard!)) : entries;
  const writes = mine.some((e) => e.action === 'repair');
  const parents = writes ? await findSharedParents(entries, options) : new Set<string>();
  const out: PlannedEntry[] = [];
  for (const entry of mine) {
    let key: string;
    try {
      key = await idempotencyKey(entry, digest);
    } catch {
      // Not there (yet): a key from the path alone; its task reports the typed error.
      key = `cf-${createHash('sha256').update(`missing\0${entry.image}\0${entry.action}\0${digest}`).digest('hex').slice(0, 32)}`;
    }
    const skip = entry.action === 'repair' && parents.has(entry.image) ? 'shared-parent' : plan.done?.has(key) ? 'resumed' : undefined;
    out.push({ entry, key, ...(skip ? { skip } : {}) });
  }
  return out;
}
