/**
 * The README's demo pipes into jq: `bash scripts/demo.sh --json` prints the repair's JSON report and
 * nothing else on standard output (the install and build steps write to standard error). Oracle: jq.
 * The install step runs with `npm` and `npx` replaced (PATH) by stand-ins that print to stdout as npm
 * does: the step's output must not reach jq, and the suite's shared build and CLI bundle are not
 * rebuilt under the other test files' feet.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const hasJq = existsSync('/usr/bin/jq');

describe('scripts/demo.sh', () => {
  it.skipIf(!hasJq && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('bash scripts/demo.sh --json --dry-run | jq: one JSON document, result affected', { timeout: 1_200_000 }, async () => {
    const fake = await mkdtemp(join(tmpdir(), 'coldfix-demo-bin-'));
    for (const tool of ['npm', 'npx']) await writeFile(join(fake, tool), `#!/bin/sh\necho "${tool} $*: up to date, audited 300 packages"\n`, { mode: 0o755 });
    const got = await new Promise<{ code: number; stdout: string; stderr: string }>((res) =>
      execFile('bash', ['-c', 'bash scripts/demo.sh --json --dry-run | jq -c "{result, mode}"; echo "demo=${PIPESTATUS[0]} jq=${PIPESTATUS[1]}"'], { cwd: repo, maxBuffer: 64 << 20, timeout: 1_200_000, env: { ...process.env, PATH: `${fake}:${process.env.PATH}` } }, (error, stdout, stderr) =>
        res({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
      ),
    ).finally(() => rm(fake, { recursive: true, force: true }));
    // The stand-ins ran (their lines went to stderr).
    expect(got.stderr).toContain('up to date, audited 300 packages');
    const lines = got.stdout.trim().split('\n');
    // The sample holds the CrowdStrike 291 files: the dry run plans their removal (exit 3, affected).
    expect(lines, got.stderr).toEqual(['{"result":"affected","mode":"dry-run"}', 'demo=3 jq=0']);
  });
});
