/**
 * Decompressed copies of the real fixtures (../shared/fixtures/real) in a temp cache, re-verified before
 * every use: the copy carries a sidecar with the sha256 of the fixture file it was made from and its own
 * size; a copy whose source is absent, changed, or whose size differs is not used (the source missing
 * throws: gate the test with `missingFixtures(...)`), a stale one is rebuilt. Without this check a test
 * passed on an old copy with the fixtures folder emptied.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { realFixturesDir } from '../test-images/src/real-fixtures.js';

/** How a fixture file becomes the cached raw bytes: `(source, tmpOut) => void` or a named method. */
export type Unpack = 'gunzip' | 'bunzip2' | 'qemu-raw' | 'copy' | ((source: string, out: string) => void);

interface Sidecar {
  source: string;
  sourceSha256: string;
  size: number;
}

/** sha256 of a (small: every fixture file is under 10 MB) file. */
export function sha256OfFile(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function unpack(method: Unpack, source: string, out: string): void {
  if (typeof method === 'function') return method(source, out);
  if (method === 'gunzip') execFileSync('bash', ['-c', 'set -o pipefail; gunzip -c "$1" | cp --sparse=always /dev/stdin "$2"', 'x', source, out]);
  else if (method === 'bunzip2') execFileSync('bash', ['-c', 'set -o pipefail; bunzip2 -c "$1" | cp --sparse=always /dev/stdin "$2"', 'x', source, out]);
  else if (method === 'qemu-raw') execFileSync('qemu-img', ['convert', '-O', 'raw', source, out]);
  else execFileSync('cp', ['--sparse=always', source, out]);
}

/**
 * The cached decompressed copy of `relative` (a path under ../shared/fixtures/real) at `out`, made if
 * missing or stale. @throws Error when the fixture file itself is absent.
 */
export function verifiedFixtureCopy(relative: string, out: string, method: Unpack = 'gunzip'): string {
  const source = join(realFixturesDir(), relative);
  if (!existsSync(source)) throw new Error(`real fixture absent: ${source} (gate the test with missingFixtures())`);
  const sourceSha256 = sha256OfFile(source);
  const sidecarPath = `${out}.source.json`;
  if (existsSync(out) && existsSync(sidecarPath)) {
    try {
      const side = JSON.parse(readFileSync(sidecarPath, 'utf8')) as Sidecar;
      if (side.sourceSha256 === sourceSha256 && side.size === statSync(out).size) return out;
    } catch {
      // unreadable sidecar: rebuild
    }
  }
  mkdirSync(join(out, '..'), { recursive: true });
  const tmp = `${out}.${process.pid}.${Date.now()}.tmp`; // per process: test files in parallel may fill the cache at once
  unpack(method, source, tmp);
  const sidecar: Sidecar = { source: relative, sourceSha256, size: statSync(tmp).size };
  writeFileSync(`${sidecarPath}.${process.pid}.tmp`, JSON.stringify(sidecar));
  renameSync(tmp, out);
  renameSync(`${sidecarPath}.${process.pid}.tmp`, sidecarPath);
  return out;
}
