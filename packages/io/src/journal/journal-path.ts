/**
 * Where a journal lives, and the small filesystem steps the crash-safety
 * argument needs (fsync of a directory after creating or removing an entry).
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { lstat, open, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { IoError, ioErrorFrom } from '../errors.js';

export const JOURNAL_SUFFIX = '.coldfix-journal';

export interface JournalOptions {
  /**
   * Folder for the journal instead of beside the image: needed for block
   * devices (/dev is not durable) and images in read-only folders.
   */
  journalDir?: string;
}

/** The image path with symlinks resolved (so /dev/disk/by-id/… and /dev/sdb share one journal). */
export function canonicalImagePath(imagePath: string): string {
  try {
    return realpathSync(imagePath);
  } catch {
    return resolve(imagePath);
  }
}

/**
 * The journal path for `imagePath`: `IMAGE.coldfix-journal` beside the image,
 * or, with `journalDir`, `<dir>/<name>-<16 hex of sha256(full path)>.coldfix-journal`
 * so that two devices (or two `disk.vhd` in different folders) never collide.
 */
export function journalPathFor(imagePath: string, journalDir?: string): string {
  const canonical = canonicalImagePath(imagePath);
  if (journalDir === undefined) return canonical + JOURNAL_SUFFIX;
  const digest = createHash('sha256').update(canonical).digest('hex').slice(0, 16);
  const name = basename(canonical).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'image';
  return join(resolve(journalDir), `${name}-${digest}${JOURNAL_SUFFIX}`);
}

/** fsync a directory so that a created or removed entry in it survives power loss. */
export async function fsyncDirectory(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (error) {
    // Some filesystems refuse fsync on directories (EINVAL); nothing more can be done there.
    if ((error as NodeJS.ErrnoException)?.code !== 'EINVAL') throw ioErrorFrom(error, path, 'fsync directory');
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export async function fsyncParent(path: string): Promise<void> {
  await fsyncDirectory(dirname(path));
}

/** True if something exists at `path` (without following a final symlink). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === 'ENOENT') return false;
    throw ioErrorFrom(error, path, 'stat');
  }
}

/** Checks `journalDir` is an existing directory. Throws NotFoundError / IoError naming it. */
export async function checkJournalDir(journalDir: string): Promise<void> {
  let info;
  try {
    info = await stat(journalDir);
  } catch (error) {
    throw ioErrorFrom(error, journalDir, 'use journal folder');
  }
  if (!info.isDirectory()) {
    throw new IoError(`journal folder ${journalDir} is not a directory`, { code: 'JOURNAL_DIR_INVALID', layer: 'journal', details: { path: journalDir } });
  }
}
