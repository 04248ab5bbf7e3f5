/**
 * Runs the real `coldfix` CLI as a child process (`node cli/bin/coldfix.js`), building it once
 * with `npx tsc -b cli` per test process.
 */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { mustRun, tool, type ToolResult } from './tools.js';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
export const coldfixBin = resolve(repoRoot, 'cli/bin/coldfix.js');

let built: Promise<void> | undefined;

/** `npx tsc -b cli` once per process (incremental: fast when nothing changed). */
export function buildCli(): Promise<void> {
  built ??= mustRun('npx', ['tsc', '-b', 'cli'], { cwd: repoRoot, timeoutMs: 600_000 }).then(() => undefined);
  return built;
}

/** `coldfix ARGS…`: exit code, stdout, stderr. */
export function coldfix(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<ToolResult> {
  return tool(process.execPath, [coldfixBin, ...args], { env: options.env, input: options.input, timeoutMs: 300_000 });
}

/** `coldfix ARGS… --json`, parsed. */
export async function coldfixJson<T = Record<string, unknown>>(args: readonly string[]): Promise<{ code: number; json: T; stderr: string; stdout: string }> {
  const r = await coldfix([...args, '--json']);
  let json: T;
  try {
    json = JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`coldfix ${args.join(' ')} --json: exit ${r.code}, stdout not JSON: ${r.stdout.slice(0, 500)} stderr: ${r.stderr.slice(0, 1000)}`);
  }
  return { code: r.code, json, stderr: r.stderr, stdout: r.stdout };
}
