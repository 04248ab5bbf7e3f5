/**
 * Where the real third-party fixtures live (../shared/fixtures/real, with its MANIFEST.md). They are read
 * from there, never copied into the repository. Order: $COLDFIX_FIXTURES, then `../shared/fixtures/real`
 * beside the repository, then `/work/shared/fixtures/real` (where the machines keep it).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

export function realFixturesDir(): string {
  const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
  const candidates = [process.env.COLDFIX_FIXTURES, join(repo, '../shared/fixtures/real'), '/work/shared/fixtures/real'];
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate;
  return candidates[1]!;
}
