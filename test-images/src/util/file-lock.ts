/**
 * A cross-process lock file (parallel vitest workers build the same cached images): created
 * exclusively, holding the owner's pid; a lock whose owner is dead is taken over after a short grace.
 */
import { open, readFile, unlink } from 'node:fs/promises';

export interface FileLockOptions {
  /** Give up after this long (default 30 minutes: first image builds are slow on 2 cores). */
  timeoutMs?: number;
  /** Wait this long before taking over a lock whose owner is gone (default 500 ms). */
  staleGraceMs?: number;
}

export async function withFileLock<T>(lock: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const staleGraceMs = options.staleGraceMs ?? 500;
  const started = Date.now();
  for (;;) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (!ownerAlive(pid) && Date.now() - started > staleGraceMs) {
        await unlink(lock).catch(() => undefined); // stale lock of a dead process
        continue;
      }
      if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

function ownerAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
