/**
 * VHDX and AVHDX files made by Windows (fox-it dissect.hypervisor fixtures in
 * ../shared/fixtures/real, facts from its MANIFEST.md): virtual SHA-256 and the
 * MANIFEST facts; the checkpoint whose parent is absent gives the typed
 * missing-parent error naming the paths tried and the linkage GUID.
 */
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSource, type ColdfixError } from '@coldfix/io';
import { detectImageFormat, openDiskImage, VhdxImage } from '@coldfix/disk-image';
import { REAL, realFixture, scratchDir, sha256File, sha256Source } from './helpers.js';

const available = existsSync(join(REAL, 'fox-it-dissect.hypervisor/fixed.vhdx.gz'));
const skip = !available && process.env.COLDFIX_REQUIRE_ORACLES !== '1';

describe.skipIf((skip) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('fox-it VHDX fixtures (MANIFEST facts; skipped without ../shared/fixtures/real)', () => {
  it('fixed.vhdx (Windows 10.0.18363): facts and virtual sha256', async () => {
    const path = realFixture('fox-it-dissect.hypervisor/fixed.vhdx.gz');
    const before = sha256File(path);
    const file = await FileSource.open(path);
    expect(await detectImageFormat(file)).toEqual({ format: 'vhdx', variant: 'fixed' });
    await file.close();
    const image = (await openDiskImage(path)) as VhdxImage;
    try {
      expect(image.size).toBe(0xa00000);
      expect(image.meta.blockSize).toBe(0x200000);
      expect(image.meta.chunkRatio).toBe(0x800);
      expect(image.meta.logicalSectorSize).toBe(512);
      expect(image.meta.physicalSectorSize).toBe(4096);
      expect(image.meta.virtualDiskId).toBe('4a49d245-db0a-4634-9818-9f93db5ba6c1');
      expect(image.chain[0].dataWriteGuid).toBe('bfc189a1-751c-44ff-b60f-98d07b2950c0');
      expect(image.section.header.sequenceNumber === 6n || image.section.header.sequenceNumber === 7n).toBe(true);
      expect(image.chain[0].logState).toBe('clean');
      expect(await image.map.stateCounts()).toEqual({ 'fully present': 5 });
      const mbr = await image.read(0, 512);
      expect([...mbr.subarray(440, 444)]).toEqual([0x8a, 0x3d, 0xad, 0x8c]);
      expect((await image.read(0x200000, 512)).every((b) => b === 0xff)).toBe(true);
      expect(await sha256Source(image)).toBe('bc0be4623b15aa84216fb31ba24e3b621ec7f1c72d198c990ac0eced222d9f62');
    } finally {
      await image.close();
    }
    expect(sha256File(path)).toBe(before);
  });

  it('dynamic.vhdx (Windows): 32 MiB blocks, chunk ratio 0x80, facts and virtual sha256', async () => {
    const image = (await openDiskImage(realFixture('fox-it-dissect.hypervisor/dynamic.vhdx.gz'))) as VhdxImage;
    try {
      expect([image.format, image.variant, image.size]).toEqual(['vhdx', 'dynamic', 0xa00000]);
      expect(image.meta.blockSize).toBe(0x2000000);
      expect(image.meta.chunkRatio).toBe(0x80);
      expect(image.meta.virtualDiskId).toBe('788015f0-5e93-4bd2-a5de-b0cd8459db11');
      expect(image.chain[0].dataWriteGuid).toBe('28e09ae1-ab94-4815-a155-f143e2d00a3f');
      const mbr = await image.read(0, 512);
      expect([...mbr.subarray(440, 444)]).toEqual([0xf9, 0x3d, 0xad, 0x8c]);
      expect((await image.read(0x200000, 512)).every((b) => b === 0xff)).toBe(true);
      expect(await sha256Source(image)).toBe('8e2b5e9265d694b42b81819e3bff29770eff4ed0f4f9f311693ff3dbdc93efac');
    } finally {
      await image.close();
    }
  });

  it('differencing.avhdx (Hyper-V checkpoint, parent absent): NotFoundError naming the linkage GUID, locator and paths tried', async () => {
    const path = realFixture('fox-it-dissect.hypervisor/differencing.avhdx.gz');
    const file = await FileSource.open(path);
    expect(await detectImageFormat(file)).toEqual({ format: 'vhdx', variant: 'differencing' });
    await file.close();
    const parentDir = scratchDir('vhdx-parents');
    try {
      const error = (await openDiskImage(path, { parentDirs: [parentDir] }).then(
        () => undefined,
        (e: unknown) => e as ColdfixError,
      ))!;
      expect(error).toMatchObject({ kind: 'not-found', code: 'VHDX_PARENT_NOT_FOUND', layer: 'vhdx' });
      expect(error.details.parentLinkage).toBe('ff34003b-11ed-4cf8-a166-b2be05e20b80');
      expect(error.message).toContain('ff34003b-11ed-4cf8-a166-b2be05e20b80');
      const name = 'Generation 1_49C4BAF3-4B25-4406-8C4B-D39E65C32385.avhdx';
      const locators = error.details.locators as Record<string, string>;
      expect(locators.relative_path).toBe(`.\\${name}`);
      expect(locators.absolute_win32_path).toBe(`C:\\Users\\Public\\Documents\\Hyper-V\\Virtual hard disks\\${name}`);
      expect(locators.volume_path).toMatch(/^\\\\\?\\Volume\{0eba351e-5634-46d6-a8cf-4ddc2d6ac0b9\}\\/);
      const tried = error.details.tried as string[];
      expect(tried[0]).toBe(join(join(path, '..'), name));
      expect(tried).toContain(join(parentDir, name));
    } finally {
      rmSync(parentDir, { recursive: true, force: true });
    }
  });

  it('differencing.avhdx with a wrong "parent" of that name beside it: ParentMismatchError naming both GUIDs', async () => {
    const dir = scratchDir('vhdx-wrong-parent');
    try {
      const child = join(dir, 'child.avhdx');
      copyFileSync(realFixture('fox-it-dissect.hypervisor/differencing.avhdx.gz'), child);
      copyFileSync(realFixture('fox-it-dissect.hypervisor/dynamic.vhdx.gz'), join(dir, 'Generation 1_49C4BAF3-4B25-4406-8C4B-D39E65C32385.avhdx'));
      const error = (await openDiskImage(child).then(
        () => undefined,
        (e: unknown) => e as ColdfixError,
      ))!;
      expect(error).toMatchObject({ kind: 'parent-mismatch', code: 'VHDX_PARENT_MISMATCH' });
      expect(error.message).toContain('ff34003b-11ed-4cf8-a166-b2be05e20b80');
      expect(error.message).toContain('28e09ae1-ab94-4815-a155-f143e2d00a3f');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
