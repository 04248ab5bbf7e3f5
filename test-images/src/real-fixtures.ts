/**
 * Where the real third-party fixtures live: `../shared/fixtures/real` beside the repository (with its
 * MANIFEST.md). They are read from there, never copied into the repository. No other location is tried:
 * without that folder the fixture tests are reported as skipped (or fail under COLDFIX_REQUIRE_ORACLES=1),
 * so the "no fixtures" path is the one a fresh clone really takes.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

/** `../shared/fixtures/real` relative to the repository root (whether or not it exists). */
export function realFixturesDir(): string {
  const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
  return join(repo, '../shared/fixtures/real');
}

/** True when {@link realFixturesDir} exists. */
export function realFixturesPresent(): boolean {
  return existsSync(realFixturesDir());
}
