/**
 * Shared end-to-end assertions: after a repair, the independent tools must show every acted-on
 * match gone (no allocated fls entry, a deleted one in `fls -d`, absent from `ntfsls -R`), every
 * other file byte-identical (tsk_recover hashes vs before), the volume clean for `ntfsfix -n`.
 */
import { expect } from 'vitest';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { allocatedFiles, extractVolume, fls, ntfsfixClean, ntfslsAll, recoverAllHashes, scratchDir, toRaw, vhdiToRaw, type DislockerKey } from './tools.js';

export const CS_DIR = 'Windows/System32/drivers/CrowdStrike';

export interface OracleView {
  allocated: string[];
  deleted: string[];
  ntfsls: Set<string>;
  hashes: Map<string, string>;
  ntfsfix: { ok: boolean; output: string };
}

/** Looks at a (possibly VHD, possibly BitLocker) image's NTFS volume with the independent tools only. */
export async function oracleView(image: string, format: 'raw' | 'vpc' | 'vhd-differencing', offset: number, size: number, key?: DislockerKey): Promise<OracleView> {
  const dir = await scratchDir('oracle');
  try {
    const raw = format === 'raw' ? image : format === 'vpc' ? await toRaw(image, join(dir, 'disk.raw'), format) : await vhdiToRaw(image, join(dir, 'disk.raw'));
    const volume = await extractVolume(raw, offset, size, join(dir, 'volume.ntfs'), key);
    // Independent read-only tools: run side by side.
    const [all, deletedEntries, ntfsls, hashes, ntfsfix] = await Promise.all([fls(volume), fls(volume, { deletedOnly: true }), ntfslsAll(volume), recoverAllHashes(volume), ntfsfixClean(volume)]);
    return { allocated: allocatedFiles(all), deleted: deletedEntries.map((e) => e.path), ntfsls, hashes, ntfsfix };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Asserts the repair removed exactly `gone` (volume paths without a leading slash) and left every
 * other file of `before` (tsk_recover path → sha256) byte-identical.
 */
export function expectRemovedExactly(view: OracleView, before: Record<string, string>, gone: string[]): void {
  const goneSet = new Set(gone);
  for (const path of gone) {
    expect(view.allocated, `fls still lists ${path} as allocated`).not.toContain(path);
    expect(view.deleted, `fls -d does not show ${path} deleted`).toContain(path);
    expect(view.ntfsls.has(`/${path}`), `ntfsls -R still lists ${path}`).toBe(false);
    expect(view.hashes.has(path), `tsk_recover still recovers ${path}`).toBe(false);
  }
  const expected = Object.entries(before).filter(([path]) => !goneSet.has(path));
  expect(expected.length).toBeGreaterThan(100);
  const differing = expected.filter(([path, sha]) => view.hashes.get(path) !== sha).map(([path]) => path);
  expect(differing, 'files changed or missing after the repair').toEqual([]);
  const extra = [...view.hashes.keys()].filter((path) => !(path in before));
  expect(extra, 'files that appeared after the repair').toEqual([]);
  for (const path of Object.keys(before)) if (!goneSet.has(path)) expect(view.ntfsls.has(`/${path}`), `ntfsls lost ${path}`).toBe(true);
  expect(view.ntfsfix.ok, view.ntfsfix.output).toBe(true);
}

/** Volume paths (no leading slash) of the catalog's CrowdStrike 291 files of the given classes. */
export function channel291(crowdstrike: { path: string; name: string; classification: string }[], classes: string[] = ['bad', 'good', 'unknown']): string[] {
  return crowdstrike.filter((c) => c.name.startsWith('C-00000291') && classes.includes(c.classification)).map((c) => c.path.replace(/^\//, ''));
}
