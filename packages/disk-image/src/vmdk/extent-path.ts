/**
 * Resolving file names from a descriptor (extent names, parentFileNameHint).
 * They are untrusted input: by default a name resolves only inside the
 * descriptor's folder (no absolute path, no `..` escaping it); Windows
 * separators are read as `/`. The user may opt in to names outside.
 */
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { vmdkCorrupt } from './vmdk-errors.js';

/** The path of `name` relative to `descriptorPath`'s folder; throws CorruptError (VMDK_PATH_OUTSIDE) when it escapes. */
export function resolveExtentPath(descriptorPath: string, name: string, allowOutside: boolean): string {
  const dir = dirname(descriptorPath);
  const normal = name.replace(/\\/g, '/');
  const windowsAbsolute = /^[A-Za-z]:\//.test(normal) || normal.startsWith('//');
  if (allowOutside && !windowsAbsolute) return resolve(dir, normal);
  const target = resolve(dir, normal);
  const rel = relative(dir, target);
  if (!normal || isAbsolute(normal) || windowsAbsolute || rel.startsWith('..') || isAbsolute(rel) || normal.includes('\0')) {
    throw vmdkCorrupt(
      'VMDK_PATH_OUTSIDE',
      `${descriptorPath}: file name ${JSON.stringify(name.slice(0, 300))} points outside the descriptor's folder (allow it with the vmdk.allowOutsidePaths option)`,
      undefined,
      { path: descriptorPath, name: name.slice(0, 300) },
    );
  }
  return target;
}

/** Candidate paths for a parent hint: inside the child's folder, then its base name in the child's folder and in `parentDirs`. */
export function parentCandidates(childPath: string, hint: string, parentDirs: readonly string[], allowOutside: boolean): string[] {
  const out: string[] = [];
  const add = (p: string) => {
    if (!out.includes(p)) out.push(p);
  };
  try {
    add(resolveExtentPath(childPath, hint, allowOutside));
  } catch {
    // Outside the folder: only its base name is tried below.
  }
  const base = basename(hint.replace(/\\/g, '/'));
  if (base && base !== '.' && base !== '..') {
    add(resolve(dirname(childPath), base));
    for (const dir of parentDirs) add(resolve(dir, base));
  }
  return out;
}
