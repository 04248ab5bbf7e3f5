/**
 * `verify` and `repair` never answer clean for what they could not read: a partition that does not
 * exist, a partition that holds no NTFS (the FAT EFI partition of windows-sample: sfdisk/catalog
 * facts), a file that is no disk (1.3 MB of text: no partition table, no file system). Each is bad
 * input (exit 2, docs/cli.md) with a `[CODE]`, never `clean`, never exit 0; `ls` agrees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureImages } from '@coldfix/test-images';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const bin = join(repo, 'cli/bin/coldfix.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function coldfix(args: string[]): Promise<Run> {
  return new Promise((res, rej) =>
    execFile(process.execPath, [bin, ...args], { cwd: repo, maxBuffer: 64 << 20, timeout: 600_000 }, (error, stdout, stderr) => {
      if (error && typeof (error as NodeJS.ErrnoException).code === 'string') return rej(error);
      res({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    }),
  );
}

let work: string;
let sample: string;
let text: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'coldfix-verify-nothing-'));
  sample = (await ensureImages(['windows-sample'])).entries['windows-sample']!.image;
  text = join(work, 'notes.txt');
  const line = 'This is a plain text file, not a disk image. It holds no partition table and no file system.\n';
  await writeFile(text, line.repeat(Math.ceil(1_300_000 / line.length)));
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('verify and repair answer nothing read as bad input, never clean', { timeout: 600_000 }, () => {
  const cases: { label: string; args: () => string[]; code: string }[] = [
    { label: '--partition 99 (no such partition)', args: () => [sample, '--partition', '99'], code: 'VOLUME_PARTITION_NOT_FOUND' },
    { label: '--partition 1 (the FAT EFI partition)', args: () => [sample, '--partition', '1'], code: 'VOLUME_NOT_NTFS' },
    { label: 'a 1.3 MB text file', args: () => [text], code: 'VOLUME_NO_NTFS' },
  ];
  for (const command of [['verify'], ['repair', '--dry-run'], ['repair', '--output', 'OUT']]) {
    it.each(cases)(`${command.join(' ')} $label: exit 2 with [$code]`, async ({ args, code }) => {
      const got = await coldfix([...command.map((a) => (a === 'OUT' ? join(work, 'repaired.img') : a)), ...args()]);
      expect(got.code, got.stdout + got.stderr).toBe(2);
      expect(got.stderr).toContain(`[${code}]`);
      expect(got.stdout).not.toMatch(/clean/i);
    });
  }
  it.each(cases)('ls $label: exit 2 with [$code]', async ({ args, code }) => {
    const got = await coldfix(['ls', ...args()]);
    expect(got.code, got.stderr).toBe(2);
    expect(got.stderr).toContain(`[${code}]`);
  });
  it('verify of the whole windows-sample disk still reads its NTFS volume (affected, exit 3)', async () => {
    const got = await coldfix(['verify', sample]);
    expect(got.code, got.stderr).toBe(3);
  });
});
