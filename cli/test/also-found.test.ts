/**
 * Small things a new user met (issue 12, "also found"), each held by a test that failed before:
 * - `ls IMAGE FILE` prints that file's row (record from TSK `ifind -n`, size from `icat`), not nothing;
 * - `cat IMAGE DIR` says "is a directory" (TSK `istat` says the record is a directory);
 * - a wrong key says it was tried and rejected, and by which protector type, apart from no key;
 * - a dynamic VHD cut in half says "truncated";
 * - usage errors end with a `[CODE]` as docs/cli.md promises, exit 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureImages, SAMPLE_SECRETS, type CatalogEntry } from '@coldfix/test-images';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const bin = join(repo, 'cli/bin/coldfix.js');
const hasTsk = existsSync('/usr/bin/ifind');
const requireOracles = process.env.COLDFIX_REQUIRE_ORACLES === '1';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  bytes: Buffer;
}
function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((res, rej) =>
    execFile(cmd, args, { cwd: repo, maxBuffer: 256 << 20, timeout: 600_000, encoding: 'buffer' }, (error, stdout, stderr) => {
      if (error && typeof (error as NodeJS.ErrnoException).code === 'string') return rej(error);
      res({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: stdout.toString(), stderr: stderr.toString(), bytes: stdout });
    }),
  );
}
const coldfix = (args: string[]) => run(process.execPath, [bin, ...args]);

let work: string;
let entries: Record<string, CatalogEntry>;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'coldfix-also-found-'));
  entries = (await ensureImages(['windows-sample', 'windows-sample-vhd', 'windows-sample-bitlocker-vhd'])).entries;
}, 1_800_000);
afterAll(() => rm(work, { recursive: true, force: true }));

const FILE = '/Windows/System32/drivers/CrowdStrike/C-00000001-00000000-00000044.sys';

describe('ls FILE, cat DIR', { timeout: 600_000 }, () => {
  const ntfsSector = () => entries['windows-sample']!.partitionTable!.partitions.find((p) => p.content === 'ntfs')!.startLba;

  it.skipIf(!hasTsk && !requireOracles)('ls IMAGE FILE prints the file\'s one row: record as ifind -n, size as icat', async () => {
    const image = entries['windows-sample']!.image;
    const record = Number((await run('ifind', ['-o', String(ntfsSector()), '-n', FILE, image])).stdout.trim());
    const size = (await run('icat', ['-o', String(ntfsSector()), image, String(record)])).bytes.length;
    expect(record).toBeGreaterThan(0);
    const got = await coldfix(['ls', image, FILE]);
    expect(got.code, got.stderr).toBe(0);
    const rows = got.stdout.trim().split('\n');
    expect(rows).toHaveLength(1);
    const [kind, path, bytes] = rows[0]!.split('\t');
    expect(kind).toMatch(new RegExp(`^r/r ${record}-\\d+$`));
    expect(path).toBe(FILE);
    expect(Number(bytes)).toBe(size);
    const json = await coldfix(['ls', image, FILE, '--json']);
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { record: number; path: string }).map((e) => [e.record, e.path])).toEqual([[record, FILE]]);
  });

  it.skipIf(!hasTsk && !requireOracles)('cat IMAGE DIR: "is a directory", exit 2, [CAT_IS_DIRECTORY]; nothing on stdout', async () => {
    const image = entries['windows-sample']!.image;
    const record = (await run('ifind', ['-o', String(ntfsSector()), '-n', '/Windows', image])).stdout.trim();
    expect((await run('istat', ['-o', String(ntfsSector()), image, record])).stdout).toMatch(/Directory/);
    const got = await coldfix(['cat', image, '/Windows']);
    expect(got.code).toBe(2);
    expect(got.stderr).toMatch(/is a directory.*\[CAT_IS_DIRECTORY\]/);
    expect(got.stdout).toBe('');
  });
});

describe('keys', { timeout: 600_000 }, () => {
  const wrongRecovery = '111111-111111-111111-111111-111111-111111-111111-111111';
  it('no key: BITLOCKER_LOCKED, "no key given fits"', async () => {
    const got = await coldfix(['ls', entries['windows-sample-bitlocker-vhd']!.image]);
    expect(got.code).toBe(2);
    expect(got.stderr).toMatch(/no key given fits.*\[BITLOCKER_LOCKED\]/);
  });
  it.each([
    { option: '--recovery-password', value: wrongRecovery, type: 'recovery-password' },
    { option: '--password', value: 'not-the-password', type: 'password' },
  ])('a wrong $option: tried and rejected by the $type protector, [BITLOCKER_WRONG_KEY], the key never printed', async ({ option, value, type }) => {
    const got = await coldfix(['ls', entries['windows-sample-bitlocker-vhd']!.image, option, value]);
    expect(got.code).toBe(2);
    expect(got.stderr).toMatch(new RegExp(`tried and rejected by the ${type} protector .*\\[BITLOCKER_WRONG_KEY\\]`));
    expect(got.stderr).not.toContain(value);
    expect(got.stderr).not.toContain(SAMPLE_SECRETS.password);
  });
});

describe('a VHD cut short', { timeout: 600_000 }, () => {
  it('info and ls of the sample VHD cut in half say "truncated", exit 2', async () => {
    const vhd = entries['windows-sample-vhd']!.image;
    const cut = join(work, 'cut.vhd');
    const size = (await stat(vhd)).size;
    const from = await open(vhd, 'r');
    const to = await open(cut, 'w');
    const piece = Buffer.alloc(1 << 20);
    for (let offset = 0; offset < Math.floor(size / 2); offset += piece.length) {
      const { bytesRead } = await from.read(piece, 0, Math.min(piece.length, Math.floor(size / 2) - offset), offset);
      await to.write(piece, 0, bytesRead, offset);
    }
    await from.close();
    await to.close();
    for (const args of [['ls', cut], ['ls', cut, '-r'], ['cat', cut, FILE]]) {
      const got = await coldfix(args);
      expect(got.code, args.join(' ')).toBe(2);
      expect(got.stderr, args.join(' ')).toMatch(/truncated/);
    }
  });
});

describe('usage errors carry a [CODE]', { timeout: 600_000 }, () => {
  it.each([
    [['ls'], 'USAGE_MISSING_ARGUMENT'],
    [['ls', 'x.img', '--bogus'], 'USAGE_UNKNOWN_OPTION'],
    [['frobnicate'], 'USAGE_UNKNOWN_COMMAND'],
    [['cat', 'x.img'], 'USAGE'],
    [['ls', 'x.img', '--partition', 'abc'], 'USAGE'],
    [['batch', 'x.img', '--jobs', '0'], 'USAGE'],
  ])('coldfix %j: exit 2, one line ending [%s]', async (args, code) => {
    const got = await coldfix(args);
    expect(got.code).toBe(2);
    expect(got.stderr.trim().split('\n')).toHaveLength(1);
    expect(got.stderr.trim()).toMatch(new RegExp(`^coldfix: .* \\[${code}\\]$`));
  });
});
