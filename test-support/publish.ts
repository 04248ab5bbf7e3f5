/**
 * Publishing a file built for a shared cache without ever replacing one another test file may already be
 * reading: the build goes to a private temporary path, then is hard-linked into place (atomic; fails if
 * the name exists, in which case the first build wins and this one is discarded). A cached path's bytes
 * therefore never change once it exists: two test files can no longer compare two different builds
 * published under the same name (the write-delete failure of issue 12).
 */
import { linkSync, rmSync } from 'node:fs';

/** Moves `tmp` to `out` unless `out` already exists (then `tmp` is removed). Returns `out`. */
export function publishOnce(tmp: string, out: string): string {
  try {
    linkSync(tmp, out);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
  return out;
}

/** A private temporary name beside `out` for this process (and call). */
let counter = 0;
export function privateTmp(out: string): string {
  return `${out}.tmp-${process.pid}-${++counter}`;
}
