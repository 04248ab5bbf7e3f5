/**
 * Real third-party NTFS images from ../shared/fixtures/real (see MANIFEST.md),
 * decompressed once into a temp cache (sparse), never copied into the repo.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realFixturesDir } from '@coldfix/test-images';

export const fixturesRoot = realFixturesDir();
export const fixtureCache = join(tmpdir(), 'coldfix-ntfs-fixtures');

export function haveFixtures(): boolean {
  return existsSync(join(fixturesRoot, 'MANIFEST.md'));
}

/** Decompresses `relative` (gz, bz2, qcow2) into the cache; returns the raw file path. */
export function fixture(relative: string): string {
  mkdirSync(fixtureCache, { recursive: true });
  const source = join(fixturesRoot, relative);
  const out = join(fixtureCache, relative.replace(/[/]/g, '_').replace(/\.(gz|bz2|qcow2)$/, '.raw'));
  if (existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp`; // per process: test files running in parallel may fill the cache at once
  if (relative.endsWith('.gz')) execFileSync('bash', ['-c', 'gunzip -c "$1" | cp --sparse=always /dev/stdin "$2"', 'x', source, tmp]);
  else if (relative.endsWith('.bz2')) execFileSync('bash', ['-c', 'bunzip2 -c "$1" | cp --sparse=always /dev/stdin "$2"', 'x', source, tmp]);
  else if (relative.endsWith('.qcow2')) execFileSync('qemu-img', ['convert', '-O', 'raw', source, tmp]);
  else execFileSync('cp', ['--sparse=always', source, tmp]);
  renameSync(tmp, out);
  return out;
}
