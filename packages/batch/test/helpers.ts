/**
 * Helpers of the fleet tests: the CLI as a child process (from cli/dist, never the bundle), scratch
 * folders, sparse copies of catalog images, differencing children, file hashes, a throwaway Redis.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const cache = join(repoRoot, 'test-images/cache');
export const cliBin = join(repoRoot, 'cli/bin/coldfix.js');
export const catalogImage = (name: string, file: string) => join(cache, name, file);
export const requireOracles = process.env.COLDFIX_REQUIRE_ORACLES === '1';

export function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const scratch = (prefix: string) => mkdtemp(join(tmpdir(), `coldfix-${prefix}-`));

export function sparseCopy(from: string, to: string): void {
  execFileSync('cp', ['--sparse=always', from, to]);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Differencing VHD children over a VHD parent, by our writer (libvhdi accepts them: packages/disk-image tests). */
export async function makeChildren(parent: string, children: string[]): Promise<void> {
  const { createDifferencingVhd } = await import('@coldfix/disk-image');
  for (const child of children) await createDifferencingVhd(child, parent);
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI; `done` resolves when it exits. */
export function startCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): { child: ChildProcess; done: Promise<Run>; stdout: () => string } {
  const child = spawn(process.execPath, [cliBin, ...args], { cwd: options.cwd ?? repoRoot, env: { ...process.env, COLDFIX_NO_BUNDLE: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done, stdout: () => stdout };
}

export const runCli = (args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) => startCli(args, options).done;

/** Resolves when `test` holds (polled), or rejects after `ms`. */
export async function waitFor(test: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function readLines<T>(path: string): Promise<T[]> {
  if (!existsSync(path)) return [];
  return (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A throwaway redis-server on a random loopback port, persistence off; stop() shuts it down. */
export async function startRedis(dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  await waitFor(() => {
    try {
      return execFileSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).trim() === 'PONG';
    } catch {
      return false;
    }
  }, 20_000, 'redis-server');
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
