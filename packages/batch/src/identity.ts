/**
 * The idempotency key of one image's work: the image's identity (absolute path, size, mtime) plus what
 * is asked of it (action, partition, output, and a digest of the rules and options that change the
 * answer). The same key means "this exact work on these exact bytes": a result under it is reusable
 * (`--resume`) and a queue job under it is the same job (BullMQ job id). A repair changes the image's
 * mtime, so the repaired image has a new key: running the batch again checks it again and answers clean.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { ioErrorFrom } from '@coldfix/io';
import type { ManifestEntry, SharedTaskOptions } from './types.js';

/** sha256 of the options that change an image's answer (rules, only-bad, commit, force-unclean-log). */
export function digestOptions(options: SharedTaskOptions): string {
  const material = JSON.stringify({ rules: options.rules, onlyBad: options.onlyBad ?? false, commit: options.commit ?? false, force: options.forceUncleanLog ?? false });
  return createHash('sha256').update(material).digest('hex').slice(0, 16);
}

/** The key: 32 hex digits (BullMQ job ids may not contain ':' and must not be integers; hex with a prefix is safe). */
export async function idempotencyKey(entry: ManifestEntry, optionsDigest: string): Promise<string> {
  const info = await stat(entry.image).catch((error) => {
    throw ioErrorFrom(error, entry.image, 'stat image');
  });
  const identity = [entry.image, info.size, Math.trunc(info.mtimeMs * 1000), entry.action, entry.partition ?? '', entry.output ?? '', optionsDigest].join('\0');
  return `cf-${createHash('sha256').update(identity).digest('hex').slice(0, 32)}`;
}
