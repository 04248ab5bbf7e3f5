/**
 * Real qcow2 fixtures (/work/shared/fixtures/real, MANIFEST.md sections 3 and
 * 7): every one reads with the MANIFEST's virtual SHA-256 (confirmed there by
 * qemu and, where it reads them, libqcow), snapshots included. Gunzipped into
 * a scratch folder under their own names (the chain and the data file are
 * found by name), never into the repo.
 */
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDiskImage } from '@coldfix/disk-image';
import { REAL, scratchDir, sha256Source } from './helpers.js';
import { skipWithout } from './qcow2-helpers.js';

const HV = 'fox-it-dissect.hypervisor';
const DFVFS = 'log2timeline-dfvfs';
const skip = skipWithout(existsSync(join(REAL, HV, 'basic.qcow2.gz')));
let dir = '';

function unpack(relative: string): string {
  const name = relative.split('/').pop()!.replace(/\.gz$/, '');
  const out = join(dir, name);
  if (!existsSync(out)) {
    if (relative.endsWith('.gz')) writeFileSync(out, gunzipSync(readFileSync(join(REAL, relative))));
    else copyFileSync(join(REAL, relative), out);
  }
  return out;
}

async function virtualSha(path: string, snapshot?: string): Promise<string> {
  const image = await openDiskImage(path, snapshot === undefined ? {} : { snapshot });
  try {
    return await sha256Source(image);
  } finally {
    await image.close();
  }
}

const BASIC = '3c86a52ad19ebbe34acffb812d276817ddca56522eb72de2b984d70ffb20582f';

describe.skipIf((skip) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')(`real qcow2 fixtures (MANIFEST virtual SHA-256)${skip ? ' (skipped: fixtures absent)' : ''}`, () => {
  beforeAll(() => {
    dir = scratchDir('qcow2-real');
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('dissect basic.qcow2 (v3, zlib): size and pattern, virtual sha256', async () => {
    const image = await openDiskImage(unpack(`${HV}/basic.qcow2.gz`));
    expect([image.format, image.variant, image.size]).toEqual(['qcow2', 'v3', 536_870_912]);
    // MiB #i is filled with byte value i (test_qcow2.py test_basic).
    for (const i of [0, 1, 77, 254]) expect((await image.read(i << 20, 1 << 20)).every((b) => b === i)).toBe(true);
    await image.close();
    expect(await virtualSha(unpack(`${HV}/basic.qcow2.gz`))).toBe(BASIC);
  }, 120_000);

  it('dissect basic-zstd.qcow2 (compression type zstd): the same virtual sha256 as basic', async () => {
    const path = unpack(`${HV}/basic-zstd.qcow2.gz`);
    const image = await openDiskImage(path);
    expect(image.chain[0].flags).toContain('compression_type=zstd');
    await image.close();
    expect(await virtualSha(path)).toBe(BASIC);
  }, 120_000);

  it('dissect data-file.qcow2: missing data file is a NotFoundError naming it; with it, the basic sha256', async () => {
    const path = unpack(`${HV}/data-file.qcow2.gz`);
    await expect(openDiskImage(path)).rejects.toMatchObject({ kind: 'not-found', code: 'QCOW2_DATA_FILE_NOT_FOUND', message: expect.stringContaining('data-file.bin') });
    unpack(`${HV}/data-file.bin.gz`);
    const image = await openDiskImage(path);
    expect(image.chain[0].dataFile).toBe('data-file.bin');
    await image.close();
    expect(await virtualSha(path)).toBe(BASIC);
  }, 120_000);

  it('dissect backing chain 1 -> 2 -> 3 (relative names): each member, and the per-MiB strings', async () => {
    const paths = [1, 2, 3].map((n) => unpack(`${HV}/backing-chain-${n}.qcow2.gz`));
    const image = await openDiskImage(paths[0]);
    expect(image.chain.map((c) => c.path)).toEqual(paths);
    const text = async (mib: number) => new TextDecoder().decode((await image.read(mib << 20, 64)).filter((b) => b !== 0));
    expect(await Promise.all([0, 1, 2, 3, 4, 5].map(text))).toEqual(['Nothing here', 'Nothing here two', 'Something here three', 'Something here four', 'Something here five', '']);
    await image.close();
    expect(await virtualSha(paths[0])).toBe('186334af67c1acb54b08ded0b6a419571000755d4c810c8b768a30281e2ab074');
    expect(await virtualSha(paths[1])).toBe('8e2e850f2a31828f6f053f70f1fbfa71a42ce0571c6d8cd2a7ca0e21e1db8341');
    expect(await virtualSha(paths[2])).toBe('4a57a3a5c273c7c1144743ecafc7b23181f6e23c8abad104493a63a3599bd276');
  }, 120_000);

  it('dissect snapshot.qcow2: two snapshots listed; active, snapshot 1 and snapshot 2 sha256', async () => {
    const path = unpack(`${HV}/snapshot.qcow2.gz`);
    const image = await openDiskImage(path);
    expect(image.chain[0].snapshots!.map((s) => [s.id, s.name, s.date.slice(0, 19)])).toEqual([
      ['1', "you can't see me", '2025-08-12T00:10:38'],
      ['2', 'confused', '2025-08-12T00:12:04'],
    ]);
    expect((await image.read(0, 4 << 20)).every((b) => b === 0)).toBe(true);
    await image.close();
    expect(await virtualSha(path)).toBe('9acca8e8c22201155389f65abbf6bc9723edc7384ead80503839f49dcc56d767');
    expect(await virtualSha(path, '1')).toBe('dcaa5c00cf9dd477e4f866cc492007d28800938c634db39710f6634afef69aee');
    expect(await virtualSha(path, 'confused')).toBe('0b3429b0a152c45d87f4e1068b9030c47490da4f29089bf8152d526944e771a7');
  }, 120_000);

  it('dfvfs ext2.qcow2 and windows_volume.qcow2: virtual sha256', async () => {
    expect(await virtualSha(unpack(`${DFVFS}/ext2.qcow2`))).toBe('a6c2f0e39afe6c6ab432ca5465349fcefe8dc944398e97b2d957d3f89dbb5d80');
    expect(await virtualSha(unpack(`${DFVFS}/windows_volume.qcow2`))).toBe('44abe9deca9658f331a2bdba2deb53192d04f35d157a1fb3ba0597b03f0524f2');
  }, 120_000);
});
