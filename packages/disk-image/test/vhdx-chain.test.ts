/**
 * Differencing VHDX chains (.avhdx) made by our test writer
 * (test-images/src/vhdx/avhdx-writer.ts) over qemu-made bases: libvhdi's
 * vhdimount must read the same merged content as we do, and both must equal a
 * model (the base's raw content with each child's writes applied). Parents are
 * found through the locator, parentDirs and case-insensitive names, verified
 * by DataWriteGuid against parent_linkage; cycles and depth are limited.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ColdfixError } from '@coldfix/io';
import { openDiskImage, VhdxImage } from '@coldfix/disk-image';
import { readVhdxDataWriteGuid, writeVhdx } from '@coldfix/test-images';
import { libvhdiRaw, makeRawContent, run, scratchDir, sha256, sha256Source } from './helpers.js';
import { missing, patchLogicalSectorSize } from './vhdx-helpers.js';

const MIB = 1 << 20;
const SIZE = 24 * MIB;
const noQemu = missing('qemu-img');
const noLibvhdi = missing('vhdimount');
const scratch = scratchDir('vhdx-chain');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed * 13) & 0xff);

function makeBase(dir: string, lss: 512 | 4096 = 512): { path: string; model: Uint8Array } {
  mkdirSync(dir, { recursive: true });
  const model = makeRawContent(SIZE, 5);
  model.fill(0, 6 * MIB, 10 * MIB);
  const raw = join(dir, 'base.raw');
  writeFileSync(raw, model);
  const path = join(dir, 'base.vhdx');
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'vhdx', '-o', 'subformat=dynamic,block_size=1M', raw, path]);
  rmSync(raw);
  if (lss === 4096) patchLogicalSectorSize(path, 4096);
  return { path, model };
}

function child(dir: string, name: string, parentName: string, writes: Array<[number, Uint8Array]>, model: Uint8Array, opts: { lss?: 512 | 4096; linkage?: string } = {}): string {
  const path = join(dir, name);
  writeVhdx(path, {
    virtualSize: SIZE,
    logicalSectorSize: opts.lss ?? 512,
    parent: { dataWriteGuid: opts.linkage ?? readVhdxDataWriteGuid(join(dir, parentName)), relativePath: `.\\${parentName}`, absoluteWin32Path: `C:\\Hyper-V\\${parentName}` },
    writes,
  });
  for (const [offset, data] of writes) model.set(data, offset);
  return path;
}

describe.skipIf((noQemu) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('AVHDX chains: base (qemu) ← mid ← top (our writer)', () => {
  for (const lss of [512, 4096] as const) {
    it(`${lss}-byte sectors: ours = libvhdi's vhdimount = the model, at every depth`, { timeout: 120_000 }, async () => {
      const dir = join(scratch, `chain-${lss}`);
      const { model } = makeBase(dir, lss);
      const mid = child(dir, 'mid.avhdx', 'base.vhdx', [
        [0, pattern(8192, 1)], // partial block 0 (PARTIALLY_PRESENT + sector bitmap)
        [2 * MIB, pattern(MIB, 2)], // the first half of the child's 2 MiB block 1 (partially present)
        [7 * MIB, pattern(4 * MIB, 3)], // over the base's zero run, two whole blocks
      ], model, { lss });
      const midModel = model.slice();
      const top = child(dir, 'top.avhdx', 'mid.avhdx', [
        [4096, pattern(4096, 4)],
        [2 * MIB + 8192, pattern(3 * 4096, 5)],
        [SIZE - 4096, pattern(4096, 6)],
      ], model, { lss });
      const image = (await openDiskImage(top)) as VhdxImage;
      try {
        expect(image.variant).toBe('differencing');
        expect(image.chain.map((c) => [c.format, c.variant])).toEqual([
          ['vhdx', 'differencing'],
          ['vhdx', 'differencing'],
          ['vhdx', 'dynamic'],
        ]);
        expect(image.chain[0].parentLinkage).toBe(image.chain[1].dataWriteGuid);
        expect(image.chain[1].parentLinkage).toBe(image.chain[2].dataWriteGuid);
        expect(image.meta.logicalSectorSize).toBe(lss);
        const states = await image.map.stateCounts();
        expect(states['partially present']).toBeGreaterThan(0);
        expect(await sha256Source(image)).toBe(sha256(model));
        if (!noLibvhdi) {
          expect(sha256(libvhdiRaw(top))).toBe(sha256(model));
          expect(sha256(libvhdiRaw(mid))).toBe(sha256(midModel));
        }
      } finally {
        await image.close();
      }
    });
  }

  it('parent moved away: found through parentDirs, and by name whatever its case; the linkage is checked', async () => {
    const dir = join(scratch, 'moved');
    const { model } = makeBase(dir);
    const top = child(dir, 'top.avhdx', 'base.vhdx', [[MIB, pattern(4096, 7)]], model);
    const elsewhere = join(scratch, 'moved-parents');
    mkdirSync(elsewhere, { recursive: true });
    renameSync(join(dir, 'base.vhdx'), join(elsewhere, 'BASE.VHDX'));
    const missingError = (await openDiskImage(top).then(
      () => undefined,
      (e: unknown) => e as ColdfixError,
    ))!;
    expect(missingError).toMatchObject({ kind: 'not-found', code: 'VHDX_PARENT_NOT_FOUND' });
    expect(missingError.details.tried).toContain(join(dir, 'base.vhdx'));
    const image = await openDiskImage(top, { parentDirs: [elsewhere] });
    try {
      expect(image.chain[1].path).toBe(join(elsewhere, 'BASE.VHDX'));
      expect(await sha256Source(image)).toBe(sha256(model));
    } finally {
      await image.close();
    }
  });

  it('a parent whose DataWriteGuid differs from parent_linkage: ParentMismatchError', async () => {
    const dir = join(scratch, 'mismatch');
    const { model } = makeBase(dir);
    const top = child(dir, 'top.avhdx', 'base.vhdx', [[0, pattern(512, 8)]], model, { linkage: '11111111-2222-3333-4444-555555555555' });
    const error = (await openDiskImage(top).then(
      () => undefined,
      (e: unknown) => e as ColdfixError,
    ))!;
    expect(error).toMatchObject({ kind: 'parent-mismatch', code: 'VHDX_PARENT_MISMATCH' });
    expect(error.message).toContain('11111111-2222-3333-4444-555555555555');
    expect(error.message).toContain(readVhdxDataWriteGuid(join(dir, 'base.vhdx')));
    // The user's override: the parent is used, with an anomaly naming both GUIDs.
    const image = await openDiskImage(top, { allowParentMismatch: true });
    try {
      expect(image.anomalies.join('\n')).toMatch(/parent_linkage 11111111-2222-3333-4444-555555555555: used anyway/);
      expect(await sha256Source(image)).toBe(sha256(model));
    } finally {
      await image.close();
    }
  });

  it('depth limit (maxChainDepth) and a two-file cycle are typed errors', async () => {
    const dir = join(scratch, 'limits');
    const { model } = makeBase(dir);
    child(dir, 'mid.avhdx', 'base.vhdx', [[0, pattern(512, 9)]], model);
    const top = child(dir, 'top.avhdx', 'mid.avhdx', [[512, pattern(512, 10)]], model);
    await expect(openDiskImage(top, { maxChainDepth: 2 })).rejects.toMatchObject({ kind: 'limit-exceeded', code: 'CHAIN_TOO_DEEP' });
    const a = join(dir, 'a.avhdx');
    const b = join(dir, 'b.avhdx');
    const ga = '0a0a0a0a-0000-4000-8000-00000000000a';
    const gb = '0b0b0b0b-0000-4000-8000-00000000000b';
    writeVhdx(a, { virtualSize: SIZE, dataWriteGuid: ga, parent: { dataWriteGuid: gb, relativePath: '.\\b.avhdx' }, writes: [] });
    writeVhdx(b, { virtualSize: SIZE, dataWriteGuid: gb, parent: { dataWriteGuid: ga, relativePath: '.\\a.avhdx' }, writes: [] });
    await expect(openDiskImage(a)).rejects.toMatchObject({ kind: 'corrupt', code: 'CHAIN_CYCLE' });
    expect(readFileSync(a).subarray(0, 8).toString()).toBe('vhdxfile');
  });
});
