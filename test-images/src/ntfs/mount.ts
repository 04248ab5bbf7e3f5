/**
 * Mounting a file-backed NTFS volume with ntfs-3g FUSE for the duration of a callback (PEERS.md recipe):
 * `ntfs-3g -o permissions,no_detach IMG MNT`, then `umount MNT` and waiting for the ntfs-3g process to
 * exit, because a file-backed mount is still writing back after umount returns.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { access, constants, mkdir, readFile, rmdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { run } from '../util/run.js';

/** Options for {@link withNtfsMount}. */
export interface MountOptions {
  /** Add ntfs-3g's `compression` option (needed for files in compressed directories to be compressed). */
  compression?: boolean;
  /** Extra `-o` options. */
  extra?: string[];
}

/** Throws a clear error when this machine cannot do FUSE mounts. */
export async function assertFuseAvailable(): Promise<void> {
  try {
    await access('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch {
    throw new Error(
      'FUSE is unavailable (/dev/fuse missing or not accessible): the NTFS test images are filled through ' +
        'ntfs-3g FUSE mounts and need root and /dev/fuse (install ntfs-3g and fuse3).',
    );
  }
}

async function isMounted(mountPoint: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  // Field 5 is the mount point, with spaces and backslashes octal-escaped.
  const escaped = mountPoint.replace(/\\/g, '\\134').replace(/ /g, '\\040');
  return info.split('\n').some((l) => l.split(' ')[4] === escaped);
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const t = setTimeout(() => res(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      res(true);
    });
  });
}

/** Mount points currently held by this process (for {@link unmountAllNow} on a signal). */
const active = new Set<string>();

/**
 * Lazily unmounts every mount this process still holds, synchronously: for signal handlers, so an
 * interrupted build leaves no FUSE mount behind (ntfs-3g then exits by itself).
 */
export function unmountAllNow(): void {
  for (const mnt of active) spawnSync('umount', ['-l', mnt], { stdio: 'ignore' });
  active.clear();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Mounts `image` on the empty directory `mountPoint` (created, then removed), runs `fn(mountPoint)`,
 * and always unmounts and waits for ntfs-3g to finish writing before returning or rethrowing.
 * @throws Error when FUSE is missing, the mount fails or does not appear within 15 s, or ntfs-3g
 *   does not exit within 120 s of the unmount.
 */
export async function withNtfsMount<T>(
  image: string,
  mountPoint: string,
  fn: (root: string) => Promise<T>,
  opts: MountOptions = {},
): Promise<T> {
  await assertFuseAvailable();
  const mnt = resolve(mountPoint);
  await mkdir(mnt, { recursive: true });
  const o = ['permissions', 'no_detach', ...(opts.compression ? ['compression'] : []), ...(opts.extra ?? [])];
  const child = spawn('ntfs-3g', ['-o', o.join(','), image, mnt], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    if (stderr.length < 65536) stderr += b.toString('utf8');
  });
  let spawnError: Error | undefined;
  child.on('error', (e) => (spawnError = e));
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (spawnError) throw new Error(`cannot run ntfs-3g: ${spawnError.message} (install ntfs-3g)`);
      if (child.exitCode !== null) throw new Error(`ntfs-3g ${image} exited ${child.exitCode}: ${stderr.trim()}`);
      if (await isMounted(mnt)) {
        active.add(mnt);
        break;
      }
      if (Date.now() > deadline) throw new Error(`ntfs-3g did not mount ${image} within 15 s: ${stderr.trim()}`);
      await sleep(20);
    }
  } catch (e) {
    child.kill('SIGTERM');
    await waitExit(child, 10_000);
    await rmdir(mnt).catch(() => undefined);
    throw e;
  }
  let result: T;
  try {
    result = await fn(mnt);
  } finally {
    await unmount(mnt, child);
    active.delete(mnt);
  }
  if (child.exitCode !== 0) throw new Error(`ntfs-3g exited ${child.exitCode} after unmount: ${stderr.trim()}`);
  return result;
}

async function unmount(mnt: string, child: ChildProcess): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await run('umount', [mnt]);
      lastError = undefined;
      break;
    } catch (e) {
      lastError = e;
      if (!(await isMounted(mnt))) {
        lastError = undefined;
        break;
      }
      await sleep(250); // busy: a file handle still closing
    }
  }
  if (lastError) {
    await run('umount', ['-l', mnt]).catch(() => undefined);
  }
  // ntfs-3g flushes the volume file after the kernel side is gone: wait for it before anyone reads it.
  if (!(await waitExit(child, 120_000))) {
    child.kill('SIGKILL');
    await waitExit(child, 5_000);
    throw new Error(`ntfs-3g did not exit within 120 s of unmounting ${mnt}`);
  }
  await rmdir(mnt).catch(() => undefined);
  if (lastError) throw lastError;
}
