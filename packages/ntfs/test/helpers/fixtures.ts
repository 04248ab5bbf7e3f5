/**
 * Real third-party NTFS images from ../shared/fixtures/real (see MANIFEST.md),
 * decompressed once into a temp cache (sparse), never copied into the repo.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realFixturesDir } from '@coldfix/test-images';
import { missingFixtures, verifiedFixtureCopy } from '@coldfix/test-support';

export const fixturesRoot = realFixturesDir();
export const fixtureCache = join(tmpdir(), 'coldfix-ntfs-fixtures');

export function haveFixtures(): boolean {
  return existsSync(join(fixturesRoot, 'MANIFEST.md'));
}

/** Why the real fixtures cannot be used here, or undefined (gate with describeWith/itWith). */
export const fixturesMissing = missingFixtures('MANIFEST.md');

/** Decompresses `relative` (gz, bz2, qcow2) into the cache; returns the raw file path. */
export function fixture(relative: string): string {
  // The copy is re-verified against the fixture's sha256 before every use (test-support/fixture-cache.ts).
  const out = join(fixtureCache, relative.replace(/[/]/g, '_').replace(/\.(gz|bz2|qcow2)$/, '.raw'));
  const method = relative.endsWith('.gz') ? 'gunzip' : relative.endsWith('.bz2') ? 'bunzip2' : relative.endsWith('.qcow2') ? 'qemu-raw' : 'copy';
  return verifiedFixtureCopy(relative, out, method);
}
