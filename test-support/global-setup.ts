/**
 * Vitest global setup: `npx tsc -b` once before any test file runs. Several tests run compiled code (the
 * CLI from cli/dist through cli/bin/coldfix.js, the NTFS scan worker and the batch workers from dist/);
 * building here makes them test the current sources, never a stale dist/ left from earlier. A compile
 * error fails the run. Incremental: a few seconds when nothing changed.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit', timeout: 900_000 });
}
