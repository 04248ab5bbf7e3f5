/**
 * Every VMDK in ../shared/fixtures/real (MANIFEST.md): dfvfs's ext2.vmdk
 * (monolithicSparse) and dissect's seSparse extent from ESXi read with the
 * MANIFEST's virtual SHA-256 and facts.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FileSource } from '@coldfix/io';
import { detectImageFormat, openDiskImage } from '@coldfix/disk-image';
import { REAL, realFixture, sha256Source } from './helpers.js';

describe.skipIf(!existsSync(REAL) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('real VMDK fixtures (MANIFEST facts)', { timeout: 600_000 }, () => {
  it('dfvfs ext2.vmdk: monolithicSparse, 4 MiB, CID 0xdc80b6c7, virtual sha256 [qemu + libvmdk]', async () => {
    const path = realFixture('log2timeline-dfvfs/ext2.vmdk');
    const file = await FileSource.open(path);
    expect(await detectImageFormat(file)).toEqual({ format: 'vmdk', variant: 'monolithicSparse' });
    await file.close();
    const image = await openDiskImage(path);
    expect([image.format, image.variant, image.size]).toEqual(['vmdk', 'monolithicSparse', 4 << 20]);
    expect(image.chain).toHaveLength(1);
    expect(image.chain[0]).toMatchObject({ cid: 'dc80b6c7', parentCid: 'ffffffff', uncleanShutdown: false });
    expect(await sha256Source(image)).toBe('a6c2f0e39afe6c6ab432ca5465349fcefe8dc944398e97b2d957d3f89dbb5d80');
    await image.close();
  });

  it('dissect sesparse.vmdk (ESXi seSparse extent, no descriptor): 512 MiB, first 16 MiB "a", virtual sha256 [qemu]', async () => {
    const path = realFixture('fox-it-dissect.hypervisor/sesparse.vmdk.gz');
    const file = await FileSource.open(path);
    expect(await detectImageFormat(file)).toEqual({ format: 'vmdk', variant: 'seSparse' });
    await file.close();
    const image = await openDiskImage(path);
    expect([image.variant, image.size]).toEqual(['seSparse', 512 << 20]);
    expect(image.anomalies.join('\n')).toMatch(/without its descriptor/);
    const head = await image.read(0, 0x1000000);
    expect(head.every((b) => b === 0x61)).toBe(true);
    expect((await image.read(0x1000000, 4096)).every((b) => b === 0)).toBe(true);
    expect(await sha256Source(image)).toBe('3afa48010241335528fe402f083fc9f3a1013a49485221443a78d9a8604e2f90');
    await image.close();
  });
});
