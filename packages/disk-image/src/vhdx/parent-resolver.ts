/**
 * Finds, opens and verifies the parent of a differencing VHDX (.avhdx).
 *
 * Candidates, in the order MS-VHDX gives (relative_path, volume_path,
 * absolute_win32_path), mapped onto this host where they can be: relative_path
 * against the child's folder; an absolute path only when it is one here (a
 * Windows drive letter or volume GUID cannot be resolved on Linux); then the
 * parent's file name in the child's folder and in each `parentDirs` folder
 * (exactly, then case-insensitively: files copied off NTFS change case).
 * Identity: the parent's header DataWriteGuid must equal parent_linkage (or
 * parent_linkage2); otherwise ParentMismatchError.
 *
 * References: MS-VHDX §2.6.2.6.3 "VHDX Parent Locator"; libvhdi vhdimount
 * (parent by file name beside the child).
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { NotFoundError, ParentMismatchError } from '@coldfix/io';
import type { OpenContext } from '../registry.js';
import type { DiskImage } from '../types.js';
import type { VhdxParentLocator } from './parent-locator.js';
import { VHDX_LAYER } from './vhdx-errors.js';

const MAX_DIR_SCAN = 100_000;
const PATH_KEYS = ['relative_path', 'volume_path', 'absolute_win32_path'] as const;

/** Host paths to try for the parent, in order (pure). */
export function vhdxParentCandidates(childDir: string, locator: VhdxParentLocator, parentDirs: readonly string[]): string[] {
  const out: string[] = [];
  const add = (p: string) => {
    if (!out.includes(p)) out.push(p);
  };
  const names: string[] = [];
  for (const key of PATH_KEYS) {
    const value = locator.entries[key];
    if (!value) continue;
    const slashed = value.replace(/\\/g, '/');
    const name = slashed.split('/').filter(Boolean).pop();
    if (name && !names.includes(name)) names.push(name);
    if (key === 'relative_path') add(normalize(join(childDir, slashed)));
    else {
      const stripped = slashed.replace(/^\/\/\?\//, '/');
      // Only a path that means something on this host (no drive letter, no Volume{GUID}, no UNC).
      if (isAbsolute(stripped) && !/^\/(?:[A-Za-z]:|Volume\{|UNC\/)/i.test(stripped)) add(normalize(stripped));
    }
  }
  for (const dir of [childDir, ...parentDirs]) for (const name of names) add(join(dir, name));
  return out;
}

export function vhdxParentNames(locator: VhdxParentLocator): string[] {
  const names: string[] = [];
  for (const key of PATH_KEYS) {
    const name = locator.entries[key]?.replace(/\\/g, '/').split('/').filter(Boolean).pop();
    if (name && !names.includes(name)) names.push(name);
  }
  return names;
}

export async function openVhdxParent(context: OpenContext, locator: VhdxParentLocator, anomalies: string[]): Promise<DiskImage> {
  const childDir = dirname(context.path);
  const candidates = vhdxParentCandidates(childDir, locator, context.options.parentDirs);
  const names = vhdxParentNames(locator);
  for (const dir of [childDir, ...context.options.parentDirs]) {
    for (const match of await caseInsensitiveMatches(dir, names)) if (!candidates.includes(match)) candidates.push(match);
  }
  const linkages = [locator.parentLinkage, ...(locator.parentLinkage2 ? [locator.parentLinkage2] : [])];
  const tried: string[] = [];
  const mismatches: Array<{ path: string; dataWriteGuid: string | null; format: string }> = [];
  for (const candidate of candidates) {
    tried.push(candidate);
    const info = await stat(candidate).catch(() => undefined);
    if (!info || info.isDirectory()) continue;
    const parent = await context.openParent(candidate);
    const found = parent.chain[0];
    if (found.format === 'vhdx' && found.dataWriteGuid && linkages.includes(found.dataWriteGuid)) return parent;
    if (found.format === 'vhdx' && context.options.allowParentMismatch) {
      anomalies.push(`parent ${candidate} has DataWriteGuid ${found.dataWriteGuid}, not the child's parent_linkage ${locator.parentLinkage}: used anyway (allowParentMismatch)`);
      return parent;
    }
    mismatches.push({ path: candidate, dataWriteGuid: found.dataWriteGuid ?? null, format: found.format });
    await parent.close();
  }
  const locators = { ...locator.entries };
  if (mismatches.length) {
    throw new ParentMismatchError(
      `${context.path}: parent_linkage ${locator.parentLinkage} does not match ${mismatches.map((m) => `${m.path} (${m.format} DataWriteGuid ${m.dataWriteGuid ?? 'none'})`).join(', ')}`,
      { code: 'VHDX_PARENT_MISMATCH', layer: VHDX_LAYER, details: { child: context.path, parentLinkage: locator.parentLinkage, candidates: mismatches, locators } },
    );
  }
  throw new NotFoundError(
    `${context.path}: parent (parent_linkage ${locator.parentLinkage}) not found; locator ${PATH_KEYS.filter((k) => locator.entries[k])
      .map((k) => `${k}=${JSON.stringify(locator.entries[k])}`)
      .join(', ')}; tried ${tried.join(', ')}`,
    { code: 'VHDX_PARENT_NOT_FOUND', layer: VHDX_LAYER, details: { child: context.path, parentLinkage: locator.parentLinkage, locators, tried } },
  );
}

async function caseInsensitiveMatches(dir: string, names: string[]): Promise<string[]> {
  if (!names.length) return [];
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  if (entries.length > MAX_DIR_SCAN) return [];
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  return entries.filter((e) => wanted.has(e.toLowerCase()) && !names.includes(e)).map((e) => join(dir, e));
}
