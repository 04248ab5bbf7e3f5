/**
 * Real VHDs made by Windows and qemu (/work/shared/fixtures/real, see its
 * MANIFEST.md): gunzipped into the cache at test time, never copied into the repo.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeWith, itWith, missingFixtures } from '@coldfix/test-support';
import { FileSource } from '@coldfix/io';
import { detectImageFormat, openDiskImage, VhdImage } from '@coldfix/disk-image';
import { cacheDir, REAL, realFixture, sha256Source } from './helpers.js';

describeWith(missingFixtures())('real fixtures (MANIFEST facts)', () => {
  it('fox-it fixed.vhd (Windows): current size, not CHS; MBR; 0xFF sector; virtual sha256', async () => {
    const path = realFixture('fox-it-dissect.hypervisor/fixed.vhd.gz');
    const file = await FileSource.open(path);
    expect(await detectImageFormat(file)).toEqual({ format: 'vhd', variant: 'fixed' });
    await file.close();
    const image = await openDiskImage(path);
    expect(image.size).toBe(10_485_760);
    expect(image.chain[0].uniqueId).toBe('b895e418-3894-e744-9a88-9a420be4e5ca');
    const mbr = await image.read(0, 512);
    expect([...mbr.subarray(440, 444)]).toEqual([0xeb, 0x3d, 0xad, 0x8c]);
    expect([mbr[510], mbr[511]]).toEqual([0x55, 0xaa]);
    expect((await image.read(0x200000, 512)).every((b) => b === 0xff)).toBe(true);
    expect(await sha256Source(image)).toBe('459325ab1fcd1d5ec9854cba790ee26378317cda177ffc1072008a1df88e6463');
    await image.close();
  });

  it('fox-it dynamic.vhd (Windows): BAT out of order, unallocated blocks read as zeros, virtual sha256', async () => {
    const path = realFixture('fox-it-dissect.hypervisor/dynamic.vhd.gz');
    const image = (await openDiskImage(path)) as VhdImage;
    expect(image.variant).toBe('dynamic');
    expect(image.size).toBe(10_485_760);
    expect(image.chain[0].uniqueId).toBe('4b6a0d04-f946-d74e-836f-d3dc87e1816b');
    expect(image.map!.blockSize).toBe(2 << 20);
    expect([...image.map!.bat]).toEqual([0xf, 0x201f, 0xffffffff, 0x1017, 0xffffffff]);
    const mbr = await image.read(0, 512);
    expect([...mbr.subarray(440, 444)]).toEqual([0xe1, 0x3d, 0xad, 0x8c]);
    expect((await image.read(0x200000, 512)).every((b) => b === 0xff)).toBe(true);
    expect((await image.read(0x3fff * 512, 16 * 512)).every((b) => b === 0)).toBe(true);
    expect(await sha256Source(image)).toBe('ecff2ef6615a3cddc6a6885f1c6d9cf13a232697e1dc6575f2c2f01f57247784');
    await image.close();
  });

  it('fox-it dynamic.vhd with its trailing footer destroyed opens from the copy at 0, with an anomaly', async () => {
    const path = realFixture('fox-it-dissect.hypervisor/dynamic.vhd.gz');
    const damaged = join(cacheDir(), 'real-dynamic-damaged-footer.vhd');
    const bytes = readFileSync(path);
    bytes.fill(0x5a, bytes.length - 512);
    writeFileSync(damaged, bytes);
    const file = await FileSource.open(damaged);
    expect(await detectImageFormat(file)).toEqual({ format: 'vhd', variant: 'dynamic' });
    await file.close();
    const image = await openDiskImage(damaged);
    expect(image.anomalies.join('\n')).toMatch(/trailing footer .* damaged.*copy at offset 0/);
    expect(await sha256Source(image)).toBe('ecff2ef6615a3cddc6a6885f1c6d9cf13a232697e1dc6575f2c2f01f57247784');
    await image.close();
    // Appending a block needs the footer's place: refused rather than guessed.
    const writable = await openDiskImage(damaged, { writable: true });
    await expect(writable.write(0x400000, new Uint8Array(512))).rejects.toMatchObject({ kind: 'precondition' });
    await writable.close();
  });

  it('dfvfs ext2.vhd (qemu, CHS-sized): size and virtual sha256', async () => {
    const image = await openDiskImage(realFixture('log2timeline-dfvfs/ext2.vhd'));
    expect([image.format, image.variant, image.size]).toEqual(['vhd', 'dynamic', 4_212_736]);
    expect(await sha256Source(image)).toBe('870be7ae16c1fa8faab05c6eb9205dc9a7ae35c5f552c5cf8a267c0bc6a5cb99');
    await image.close();
  });

  it('dfvfs fat-differential.vhd (Windows): missing parent is a NotFoundError naming its id, locators and the paths tried', async () => {
    const path = realFixture('log2timeline-dfvfs/fat-differential.vhd');
    const file = await FileSource.open(path);
    expect(await detectImageFormat(file)).toEqual({ format: 'vhd', variant: 'differencing' });
    await file.close();
    const error = await openDiskImage(path).then(
      () => undefined,
      (e: unknown) => e as { kind: string; code: string; message: string; details: Record<string, unknown> },
    );
    expect(error).toMatchObject({ kind: 'not-found', code: 'VHD_PARENT_NOT_FOUND' });
    expect(error!.details.parentUniqueId).toBe('5fa21a55-f394-aa4d-9958-1951a67d5540');
    expect(error!.details.parentName).toBe('C:\\Projects\\dfvfs\\test_data\\fat-parent.vhd');
    expect(error!.details.locators).toEqual([
      { platformCode: 'W2ku', path: 'C:\\Projects\\dfvfs\\test_data\\fat-parent.vhd' },
      { platformCode: 'W2ru', path: '.\\fat-parent.vhd' },
    ]);
    expect(error!.details.tried).toContain(join(cacheDir(), 'fat-parent.vhd'));
    expect(error!.message).toContain('5fa21a55-f394-aa4d-9958-1951a67d5540');
  });
});
