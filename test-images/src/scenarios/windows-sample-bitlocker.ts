/**
 * `windows-sample-bitlocker-vhd`: the README's main job sample. The `windows-sample` disk with its
 * Windows partition encrypted by our BitLocker writer (`./bitlocker/`, proved against dislocker,
 * cryptsetup and libbde by its own tests), then converted to a dynamic VHD with qemu-img. As on
 * Windows, the FVE metadata and the header backup sit in the clusters of
 * `System Volume Information/FVE2.{…}` files, so the decrypted NTFS is consistent (chkdsk-clean).
 *
 * INTEGRATION POINT (issue 2 item 6): this is where the plaintext sample from
 * {@link buildWindowsSample} meets `encryptToBitLocker(image, offset, size, options)`. Change the
 * method or protectors here; `npm run sample` prints the result.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VolumeFacts } from '../catalog.js';
import type { BuildContext, BuildResult, Scenario } from '../scenario.js';
import { encryptToBitLocker, type EncryptOptions } from '../bitlocker/index.js';
import { run } from '../util/run.js';
import { convertToVhd } from './vhd.js';

/** Secrets of the sample (test data, published on purpose). */
export const SAMPLE_SECRETS = {
  /** Each block is a multiple of 11 below 720,896, as BitLocker requires. */
  recoveryPassword: '111111-222222-333333-444444-555555-666666-100001-200002',
  password: 'coldfix-sample',
  volumeGuid: '4F1C2D3E-5A6B-4C7D-8E9F-0A1B2C3D4E5F',
} as const;

/**
 * Fingerprint of the writer's sources (src/bitlocker/*.ts, tests excluded), part of the cache key so
 * the sample is rebuilt whenever the writer changes. Read from src/ both when running from src/
 * (vitest) and from dist/ (npm run images), so both see the same key.
 */
function writerFingerprint(): string {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'bitlocker');
  try {
    const h = createHash('sha256');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts')).sort()) {
      h.update(f).update(readFileSync(join(dir, f)));
    }
    return h.digest('hex').slice(0, 16);
  } catch {
    return 'unknown';
  }
}

const params = {
  writer: writerFingerprint(),
  method: 'aes-xts-128' as const,
  fvekHex: '000102030405060708090a0b0c0d0e0f' + 'f0e0d0c0b0a090807060504030201000',
  ...SAMPLE_SECRETS,
};

export const windowsSampleBitlocker: Scenario = {
  name: 'windows-sample-bitlocker-vhd',
  description: 'windows-sample with the Windows partition BitLocker-encrypted (XTS-128; recovery password + password), as a dynamic VHD',
  // 2: the metadata regions are owned by FVE2 files in System Volume Information (Windows' way), not only marked in $Bitmap.
  version: 2,
  params,
  deps: ['windows-sample'],
  async build(ctx: BuildContext): Promise<BuildResult> {
    const plain = ctx.dep('windows-sample');
    const win = plain.extra!['windowsPartition'] as { number: number; offset: number; size: number; startLba: number };
    const raw = join(ctx.tmpDir, 'encrypted.img');
    await run('cp', ['--sparse=always', plain.image, raw]);
    const options: EncryptOptions = {
      method: params.method,
      protectors: { recoveryPassword: params.recoveryPassword, password: params.password },
      volumeGuid: params.volumeGuid,
      fvek: Uint8Array.from(Buffer.from(params.fvekHex, 'hex')),
    };
    const t0 = Date.now();
    const enc = await encryptToBitLocker(raw, win.offset, win.size, options);
    ctx.log(`encrypted ${win.size} B in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const image = join(ctx.outDir, 'windows-sample-bitlocker.vhd');
    const { virtualSize, fileSize } = await convertToVhd(raw, image, 'dynamic');
    const volumes: VolumeFacts[] = plain.volumes.map((v) =>
      v.offset === win.offset
        ? { offset: v.offset, size: v.size, fs: 'bitlocker', partition: win.number, notes: { plaintext: 'windows-sample', plaintextFs: 'ntfs', label: v.label } }
        : v,
    );
    return {
      image,
      format: 'vpc',
      vhdSubformat: 'dynamic',
      virtualSize,
      fileSize,
      partitionTable: plain.partitionTable!,
      volumes,
      extra: {
        ...plain.extra,
        bitlocker: {
          method: enc.method,
          volumeGuid: enc.volumeGuid,
          recoveryPassword: params.recoveryPassword,
          password: params.password,
          protectors: enc.protectors,
          fvekHex: params.fvekHex,
          metadataOffsets: enc.metadataOffsets,
          volumeHeaderOffset: enc.volumeHeaderOffset,
          reservedBy: enc.reservedBy,
          fveFiles: enc.fveFiles,
        },
      },
    };
  },
};
