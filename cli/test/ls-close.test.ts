/**
 * A listing awaits (or stops) everything it started before the image is closed: the background $MFT
 * scan beside `ls DIR` used to be still reading the dynamic VHD's block map when `coldfix ls` closed the
 * image (IO_EBADF, a stack trace, exit 1, on /Users and /ProgramData of the sample every time).
 * Here: every directory of the windows-sample VHD (dynamic, qemu-img convert), listed 20 times, each
 * in a fresh open and close of the image, with no error and no unhandled rejection; and the command
 * itself on /Users and /ProgramData 5 times each, exit 0 with nothing on stderr.
 * The directory set comes from `ls -r` (its equality with `fls -r -p` is listing.test.ts's subject).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureImages } from '@coldfix/test-images';
import { openImage } from '@coldfix/volumes';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const bin = join(repo, 'cli/bin/coldfix.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((res, rej) =>
    execFile(cmd, args, { cwd: repo, maxBuffer: 256 << 20, timeout: 600_000 }, (error, stdout, stderr) => {
      if (error && typeof (error as NodeJS.ErrnoException).code === 'string') return rej(error);
      res({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    }),
  );
}

let image: string;
let directories: string[];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  image = (await ensureImages(['windows-sample-vhd'])).entries['windows-sample-vhd']!.image;
  const listing = await run(process.execPath, [bin, 'ls', '-r', image, '--json']);
  expect(listing.code, listing.stderr).toBe(0);
  directories = [
    '/',
    ...listing.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { path: string; type: string; deleted: boolean })
      .filter((e) => e.type === 'dir' && !e.deleted && !e.path.startsWith('/$OrphanFiles'))
      .map((e) => e.path),
  ];
  process.on('unhandledRejection', onUnhandled);
}, 600_000);
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe('ls closes the image only after the scan it started has stopped', { timeout: 1_800_000 }, () => {
  it('every directory of the sample VHD, 20 times, each in its own open and close: no error', async () => {
    expect(directories.length).toBeGreaterThan(100);
    expect(directories).toContain('/Users');
    const failures: string[] = [];
    for (let round = 0; round < 20; round++) {
      for (const dir of directories) {
        const opened = await openImage(image, { writable: false });
        try {
          const volume = await opened.ntfs();
          let rows = 0;
          for await (const batch of volume.list({ root: dir, recursive: false })) rows += batch.length;
          if (dir === '/Users' && rows === 0) failures.push(`${dir}: no rows`);
        } catch (error) {
          failures.push(`round ${round} ${dir}: ${(error as Error).message}`);
        } finally {
          await opened.close();
        }
      }
      // Let a read left running (the bug) fail now, while we still listen.
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(failures).toEqual([]);
    expect(unhandled.map(String)).toEqual([]);
  });

  it.each(['/Users', '/ProgramData'])('coldfix ls IMAGE %s, 5 times: exit 0, nothing on stderr', async (dir) => {
    for (let i = 0; i < 5; i++) {
      const got = await run(process.execPath, [bin, 'ls', image, dir]);
      expect(got.stderr).toBe('');
      expect(got.code).toBe(0);
      expect(got.stdout.length).toBeGreaterThan(0);
    }
  });
});
