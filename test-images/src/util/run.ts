/**
 * Running external tools for the generators: argument vectors only (no shell), exit codes checked,
 * output captured with a size cap, progress lines on stderr.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/** Result of a finished tool run. */
export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Options for {@link run}. */
export interface RunOptions {
  /** Bytes written to the child's stdin (then closed). */
  input?: string | Uint8Array;
  /** Exit codes accepted besides 0. */
  okCodes?: number[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Send stdout to this file instead of capturing it (binary output such as icat's). */
  stdoutFile?: string;
  /** Kill the child after this many milliseconds (default 10 minutes). */
  timeoutMs?: number;
}

const MAX_CAPTURE = 64 * 1024 * 1024;

/** Thrown when a tool is missing, fails, or times out. */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly args: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

/**
 * Runs `cmd args…` and resolves with its output when it exits with 0 (or a code in `okCodes`).
 * @throws ToolError when it cannot start, exits with another code, or times out.
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const outFd = opts.stdoutFile === undefined ? undefined : openSync(opts.stdoutFile, 'w');
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', outFd ?? 'pipe', 'pipe'],
    });
    if (outFd !== undefined) closeSync(outFd);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    child.stdout?.on('data', (b: Buffer) => {
      if (outLen < MAX_CAPTURE) out.push(b);
      outLen += b.length;
    });
    child.stderr!.on('data', (b: Buffer) => {
      if (errLen < MAX_CAPTURE) err.push(b);
      errLen += b.length;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    const line = `${cmd} ${args.join(' ')}`;
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ToolError(`cannot run ${cmd}: ${e.message} (is it installed?)`, cmd, args, null, ''));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      const c = code ?? -1;
      if (c === 0 || (opts.okCodes ?? []).includes(c)) resolve({ stdout, stderr, code: c });
      else
        reject(
          new ToolError(
            `${line.slice(0, 300)} failed (${signal ? `signal ${signal}` : `exit ${c}`}): ${stderr.trim().slice(-2000)}`,
            cmd,
            args,
            code,
            stderr,
          ),
        );
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.input);
    }
  });
}

/** Prints one progress line on stderr (the generators' only output channel). */
export function log(message: string): void {
  process.stderr.write(`[test-images] ${message}\n`);
}
