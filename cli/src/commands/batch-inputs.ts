/** What `coldfix batch` and `coldfix worker` share: turning inputs into manifest entries, keys per image, exit codes. */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BatchAction, ManifestEntry, ResultLine, SharedTaskOptions } from '@coldfix/batch';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { imageOptionsFrom, type ImageCliOptions } from '../image-options.js';
import { collectKeys } from '../key-options.js';
import { selectRules } from './repair.js';

export interface SharedCliOptions extends ImageCliOptions {
  rule?: string[];
  rules?: string;
  onlyBad?: boolean;
  commit?: boolean;
  forceUncleanLog?: boolean;
}

/** Options every image of a batch shares (no keys: those are resolved per image by keysResolver). */
export async function sharedOptionsFrom(options: SharedCliOptions): Promise<SharedTaskOptions> {
  const { parentDirs, journalDir, sectorSize } = await imageOptionsFrom({ ...options, keys: [], bek: [], password: [], recoveryPassword: [] });
  return {
    rules: await selectRules(options),
    ...(options.onlyBad ? { onlyBad: true } : {}),
    ...(options.commit ? { commit: true } : {}),
    ...(options.forceUncleanLog ? { forceUncleanLog: true } : {}),
    ...(parentDirs ? { parentDirs: parentDirs.map((d) => resolve(d)) } : {}),
    ...(journalDir ? { journalDir: resolve(journalDir) } : {}),
    ...(sectorSize ? { sectorSize } : {}),
  };
}

/**
 * Keys for one image: the command's key options plus the image's manifest keys file, read on this
 * host. Cached per keys file (a manifest names a few escrow files for thousands of images).
 */
export function keysResolver(options: ImageCliOptions): (entry: Pick<ManifestEntry, 'keys'>) => Promise<Awaited<ReturnType<typeof collectKeys>>> {
  const cache = new Map<string, ReturnType<typeof collectKeys>>();
  return (entry) => {
    const id = entry.keys ?? '';
    let keys = cache.get(id);
    if (!keys) {
      keys = collectKeys({ ...options, keys: [...(options.keys ?? []), ...(entry.keys ? [entry.keys] : [])] });
      cache.set(id, keys);
    }
    return keys;
  };
}

/** The inputs: one folder (scanned by content), one manifest (JSON Lines or CSV), or image files. */
export async function entriesFrom(inputs: string[], action: BatchAction): Promise<ManifestEntry[]> {
  const { readManifest, scanDirectory } = await import('@coldfix/batch');
  const entries: ManifestEntry[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => null);
    if (!info) throw new UsageError(`${input}: no such file or folder`);
    if (info.isDirectory()) entries.push(...(await scanDirectory(input, action)));
    else if (/\.(jsonl|ndjson|csv|json)$/i.test(input) && info.size < 64 << 20) entries.push(...(await readManifest(input, action)));
    else entries.push({ image: resolve(input), action, line: 0 });
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    const id = `${entry.image}\0${entry.action}\0${entry.partition ?? ''}`;
    if (seen.has(id)) throw new UsageError(`${entry.image} is listed twice with action ${entry.action}`);
    seen.add(id);
  }
  if (entries.length === 0) throw new UsageError('no images given (a folder is scanned for disk images by content)');
  return entries;
}

/**
 * Exit code of one image, for a pod failure policy: 0 repaired/clean/info, 3 affected (dry run or
 * verify found matches), 4 refused (a gate), 2 bad input (corrupt, wrong or missing key: retrying will
 * not help), 5 inconsistent, 1 internal or I/O (a retry may help).
 */
export function lineExit(line: ResultLine): number {
  switch (line.result) {
    case 'repaired':
    case 'clean':
    case 'info':
      return ExitCode.ok;
    case 'affected':
      return ExitCode.affected;
    case 'refused':
      return ExitCode.refused;
    case 'inconsistent':
      return ExitCode.inconsistent;
    case 'incomplete':
      return ExitCode.incomplete;
    case 'failed':
      return ExitCode.internal;
    default:
      return line.final ? ExitCode.badInput : ExitCode.internal;
  }
}

// A batch's code: the most serious outcome (internal > inconsistent > bad input > refused > incomplete > affected > ok).
const order: number[] = [ExitCode.ok, ExitCode.affected, ExitCode.incomplete, ExitCode.refused, ExitCode.badInput, ExitCode.inconsistent, ExitCode.internal];
export function worstExit(codes: Iterable<number>): number {
  let worst = 0;
  for (const code of codes) worst = Math.max(worst, order.indexOf(code));
  return order[worst];
}
