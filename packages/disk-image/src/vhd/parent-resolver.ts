/**
 * Finds, opens and verifies the parent of a differencing VHD.
 *
 * Candidates come from the parent locators (W2ru, then W2ku, Wi2r/Wi2k, MacX)
 * mapped onto the child's folder, the header's parent name, then `parentDirs`
 * (by file name), then a case-insensitive name match in those folders (images
 * copied off NTFS keep names whose case differs from the locator).
 * Identity: the child's parent unique ID must equal the parent footer's unique
 * ID (ParentMismatchError otherwise); a differing parent timestamp is only an
 * anomaly, as Windows tolerates it (and often stores 0).
 *
 * References: Microsoft VHD specification 1.0 (2006), "Parent Locator
 * Entries", "Parent Unique ID"; libvhdi vhdimount (parent by file name beside
 * the child).
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { NotFoundError, ParentMismatchError, type JsonValue } from '@coldfix/io';
import type { OpenContext } from '../registry.js';
import type { DiskImage } from '../types.js';
import { parentCandidatePaths, parentFileNames } from './codec/parent-locator-path.js';
import type { DynamicMetadata } from './dynamic-metadata.js';
import { vhdTimestampToIso, VHD_EPOCH_MS } from './layout/footer.js';
import { VHD_LAYER } from './vhd-errors.js';

/** Folders with more entries than this are not scanned case-insensitively. */
const MAX_DIR_SCAN = 100_000;

export async function openVhdParent(context: OpenContext, meta: DynamicMetadata, anomalies: string[]): Promise<DiskImage> {
  const childDir = dirname(context.path);
  const expectedId = meta.header.parentUniqueId;
  const candidates = parentCandidatePaths(childDir, meta.locators, meta.parentName, context.options.parentDirs);
  const names = parentFileNames(meta.locators, meta.parentName);
  for (const dir of [childDir, ...context.options.parentDirs]) {
    for (const match of await caseInsensitiveMatches(dir, names)) if (!candidates.includes(match)) candidates.push(match);
  }
  const tried: string[] = [];
  const mismatches: Array<{ path: string; uniqueId: string | null }> = [];
  for (const candidate of candidates) {
    tried.push(candidate);
    const info = await stat(candidate).catch(() => undefined);
    if (!info || info.isDirectory()) continue;
    const parent = await context.openParent(candidate);
    const found = parent.chain[0];
    if (found.format !== 'vhd' || found.uniqueId !== expectedId) {
      mismatches.push({ path: candidate, uniqueId: found.uniqueId ?? null });
      await parent.close();
      continue;
    }
    checkTimestamp(meta, found.timestamp, info.mtimeMs, candidate, anomalies);
    return parent;
  }
  const locatorDetails: JsonValue = meta.locators.map((l) => ({ platformCode: l.platformCode, path: l.path ?? null }));
  if (mismatches.length) {
    throw new ParentMismatchError(
      `${context.path}: parent unique ID ${expectedId} does not match ${mismatches.map((m) => `${m.path} (${m.uniqueId ?? 'not a VHD'})`).join(', ')}`,
      { code: 'VHD_PARENT_MISMATCH', layer: VHD_LAYER, details: { child: context.path, expectedParentId: expectedId, candidates: mismatches, locators: locatorDetails } },
    );
  }
  throw new NotFoundError(
    `${context.path}: parent ${JSON.stringify(meta.parentName)} (unique ID ${expectedId}) not found; locators ${meta.locators
      .map((l) => `${l.platformCode}=${JSON.stringify(l.path ?? '?')}`)
      .join(', ')}; tried ${tried.join(', ')}`,
    { code: 'VHD_PARENT_NOT_FOUND', layer: VHD_LAYER, details: { child: context.path, parentUniqueId: expectedId, parentName: meta.parentName, locators: locatorDetails, tried } },
  );
}

function checkTimestamp(meta: DynamicMetadata, parentFooterTime: string | undefined, parentMtimeMs: number, path: string, anomalies: string[]): void {
  const stored = meta.header.parentTimestamp;
  if (stored === 0) return;
  const storedIso = vhdTimestampToIso(stored);
  const mtimeSeconds = Math.floor((parentMtimeMs - VHD_EPOCH_MS) / 1000);
  if (storedIso === parentFooterTime || stored === mtimeSeconds) return;
  anomalies.push(`parent timestamp ${storedIso} differs from the parent ${path} (footer ${parentFooterTime}, modified ${new Date(parentMtimeMs).toISOString()})`);
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
