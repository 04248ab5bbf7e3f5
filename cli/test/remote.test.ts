/**
 * Every read-only command on an image served over HTTP range requests (a loopback server standing in
 * for a SAS or presigned URL) answers as it does on the local file, reads a few MiB rather than the
 * disk, never prints the URL's credential, refuses an in-place write, and writes a local repaired
 * copy with --output. Oracles: the same commands on the local file, and the server's byte counter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureImages, type CatalogEntry } from '@coldfix/test-images';
import { startRangeServer, type RangeServer } from '@coldfix/test-images';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const bin = join(repo, 'cli/bin/coldfix.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function coldfix(args: string[]): Promise<Run> {
  return new Promise((res, rej) =>
    execFile(process.execPath, [bin, ...args], { cwd: repo, maxBuffer: 64 << 20, timeout: 300_000 }, (error, stdout, stderr) => {
      if (error && typeof (error as NodeJS.ErrnoException).code === 'string') return rej(error);
      res({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    }),
  );
}

/** A report with the image's own name taken out, so local and remote answers compare. */
function comparable(json: string, image: string, url: string): unknown {
  const masked = url.replace(/sig=[^&]*/, 'sig=***');
  return JSON.parse(json.split(JSON.stringify(image).slice(1, -1)).join('IMAGE').split(masked).join('IMAGE'), (key, value: unknown) =>
    key === 'elapsedMs' || key === 'durationMs' || key === 'seconds' || key === 'bytesRead' || key === 'timings' ? undefined : value,
  );
}

let entry: CatalogEntry;
let server: RangeServer;
let work: string;
let keys: string;

beforeAll(async () => {
  const catalog = await ensureImages(['windows-sample-bitlocker-vhd']);
  entry = catalog.entries['windows-sample-bitlocker-vhd'];
  work = await mkdtemp(join(tmpdir(), 'coldfix-remote-cli-'));
  const bl = (entry.extra as { bitlocker: { volumeGuid: string; recoveryPassword: string } }).bitlocker;
  keys = join(work, 'keys.json');
  await writeFile(keys, JSON.stringify({ [bl.volumeGuid]: bl.recoveryPassword }), { mode: 0o600 });
  server = await startRangeServer({ path: entry.image });
});
afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('coldfix over HTTP range requests (BitLocker, dynamic VHD)', () => {
  it('info, verify and repair --dry-run answer as on the local file, reading a few MiB, the secret never shown', async () => {
    for (const args of [['info'], ['verify', '--keys', keys], ['repair', '--dry-run', '--keys', keys]]) {
      const [command, ...rest] = args;
      const local = await coldfix([command, entry.image, ...rest, '--json']);
      const before = server.stats.bytesSent;
      const remote = await coldfix([command, server.url, ...rest, '--json']);
      const sent = server.stats.bytesSent - before;
      expect(remote.code, `${command} remote: ${remote.stderr}`).toBe(local.code);
      expect(comparable(remote.stdout, entry.image, server.url)).toEqual(comparable(local.stdout, entry.image, server.url));
      expect(remote.stdout + remote.stderr).not.toContain(server.secret);
      // The disk is 1 GiB of ciphertext: a triage reads metadata only. verify checks the whole volume
      // (every $MFT record, the bitmaps), so it reads more (26 MB here).
      expect(sent, `${command} transferred ${sent} bytes`).toBeLessThan(command === 'verify' ? 64 << 20 : 16 << 20);
    }
  });

  it('ls of the CrowdStrike folder equals the local answer', async () => {
    const dir = (entry.extra as { crowdstrikeDir: string }).crowdstrikeDir;
    const local = await coldfix(['ls', entry.image, dir, '--keys', keys]);
    const remote = await coldfix(['ls', server.url, dir, '--keys', keys]);
    expect(local.code, local.stderr).toBe(0);
    expect(remote.code, remote.stderr).toBe(0);
    expect(remote.stdout).toBe(local.stdout);
    const first = local.stdout.split('\n').find((line) => /\.sys\b/.test(line));
    expect(first, 'the CrowdStrike folder lists a .sys file').toBeDefined();
  });

  it('refuses to repair the remote image in place (REMOTE_READ_ONLY, exit 2), and nothing is written', async () => {
    const run = await coldfix(['repair', server.url, '--keys', keys]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('REMOTE_READ_ONLY');
    expect(run.stderr).not.toContain(server.secret);
  });

  it('repair --output writes a local repaired copy that verifies clean', async () => {
    const output = join(work, 'repaired.vhd');
    const run = await coldfix(['repair', server.url, '--keys', keys, '--output', output, '--quarantine-dir', join(work, 'q'), '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain(server.secret);
    const report = JSON.parse(run.stdout) as { result: string };
    expect(report.result).toBe('repaired');
    const verify = await coldfix(['verify', output, '--keys', keys, '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    expect((JSON.parse(verify.stdout) as { result: string }).result).toBe('clean');
  }, 600_000);

  it('a server that changes the image mid-run gives a typed error, never "clean"', async () => {
    // The content changes after the open probe and a few reads: a later read fails If-Match.
    const changing = await startRangeServer({ path: entry.image }, { changeAfterRequests: 5 });
    try {
      const result = await coldfix(['verify', changing.url, '--keys', keys, '--json']);
      expect(result.code).not.toBe(0);
      expect(result.stdout + result.stderr).toContain('REMOTE_CHANGED');
      expect(result.stdout).not.toMatch(/"result":\s*"clean"/);
    } finally {
      await changing.close();
    }
  });
});
