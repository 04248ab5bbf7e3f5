/**
 * Test helpers: the real BitLocker volumes of ../shared/fixtures/real/fox-it-dissect.fve
 * (AGPL test data: read from there, never copied into the repo), gunzipped
 * sparsely into a cache folder under the OS temp dir, and oracle-tool runners.
 */
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { realFixturesDir } from '@coldfix/test-images';
import { hasTool, missingFixtures, verifiedFixtureCopy } from '@coldfix/test-support';

export const FIXTURE_DIR = join(realFixturesDir(), 'fox-it-dissect.fve');
export const CACHE_DIR = join(tmpdir(), 'coldfix-bitlocker-fixtures');
/** Why the real BitLocker volumes cannot be used here, or undefined (gate with describeWith/itWith). */
export const fixturesMissing = missingFixtures('fox-it-dissect.fve');

/**
 * Gunzips `<name>.bin.gz` into the cache (sparse) once; the copy is re-verified against the fixture's
 * sha256 before every use (test-support/fixture-cache.ts). Returns the path.
 */
export async function fixture(name: string): Promise<string> {
  return verifiedFixtureCopy(`fox-it-dissect.fve/${name}.bin.gz`, join(CACHE_DIR, `${name}.bin`));
}

export async function bekFile(name: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(join(FIXTURE_DIR, name)));
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export { hasTool };

/** Runs dislocker-file and returns the plaintext path. Its -u/-p options take the secret attached (-uSECRET). */
export function dislockerDecrypt(image: string, args: string[], out: string): string {
  execFileSync('dislocker-file', ['-V', image, ...args, '--', out], { stdio: 'ignore', timeout: 120_000 });
  return out;
}

/** cryptsetup bitlkDump --dump-volume-key with the key on stdin (or a key file); returns the key hex. */
export function cryptsetupVolumeKey(image: string, input: { passphrase?: string; keyFile?: string }): string | undefined {
  const args = ['bitlkDump', '--dump-volume-key', '--batch-mode', image];
  if (input.keyFile) args.push('--key-file', input.keyFile);
  const r = spawnSync('cryptsetup', args, { input: input.passphrase ?? '', encoding: 'utf8', timeout: 60_000 });
  const lines = (r.stdout ?? '').split('\n');
  const at = lines.findIndex((l) => l.startsWith('MK dump:'));
  if (at < 0) return undefined;
  let hex = lines[at].slice('MK dump:'.length);
  for (let i = at + 1; i < lines.length && /^\s/.test(lines[i]); i++) hex += lines[i];
  return hex.replace(/[^0-9a-f]/gi, '').toLowerCase();
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** The 50 MB Windows 10 volumes and their facts (MANIFEST.md §1). */
export const PASSWORD = 'password12!@';
export const volumes = {
  aes_128: { method: 'aes-cbc-128', guid: 'bf4cf543-fdab-4dcd-8409-718f3334c6bd', protector: 'b1ca4ba2-ae7c-447c-8395-a484fc010f1b', fvek: '84c3a3157e5f21dee140005220bc940e', sha32k: '22f9427b8e2168106c1447506c6222975a2dadf450cb52099c313dfd89a3a83a', created: '2021-10-08T18:09:00.720Z', description: 'DESKTOP-QNI1MMF TestVolume 10/8/2021' },
  aes_256: { method: 'aes-cbc-256', guid: '5af5f534-3ef9-42fe-8ef3-9dcddd2f46e2', protector: '82086473-2d67-4a10-82fd-5873db548249', fvek: 'dd3885ef9948c8dc6ad1b54a6c4a4b6fb74b44d1d9775ac7ed186c35f1b59022', sha32k: '995bf5aefd1fdb498036ad41e8581b6a61dca71cf38ceb7773bb0fa643603e63' },
  aes_128_diffuser: { method: 'aes-cbc-128-diffuser', guid: '2210b6bd-080e-4c5c-aa34-123fac7e138a', protector: '026194ab-364b-4e7a-a692-8eae6db079f9', fvek: '10730f695df62a49cd3aa1b1c9ae3edf2229c338a3740830e2b19d2b83f9cada268af0e0613921085edc89e1b804de354fd265acf4e5c410b47764bb9565666b', cryptsetupKey: '10730f695df62a49cd3aa1b1c9ae3edf268af0e0613921085edc89e1b804de35', sha32k: '8435ed453eb012844dbec32673e7ff611a407106a101e473294a2523f8e36aeb' },
  aes_256_diffuser: { method: 'aes-cbc-256-diffuser', guid: '20c7f7ca-9160-4281-bd7f-292733ecf00d', protector: '74199f3e-3e65-455c-8c38-aacdab2beb63', fvek: '3a600625f8fd5cc506cf8b30c8ca0600cc32f0c6b54c140789f7518c4fb5c71ba272f34f1a920d5be247298b5d233ce6199023c24d0aefec28717232f9894d1f', sha32k: 'c55f8dbeb0c7950b8ad647c3a2e7251febfbd54f56947beb6da61b05bbc6fae8' },
  'aes-xts_128': { method: 'aes-xts-128', guid: '19540fda-3072-4554-9ddc-9df7343ef068', protector: '55faeded-603a-459f-8f6b-325cf781f971', fvek: '4eb949c473f0edfc379ad041670ddb9c4da0abdb4482a2c8bb47250493aa1ed5', sha32k: '047e4d5436d2c2c7c6b613fa74effbc5e1fbe9af108952d25e9ec88e98796321' },
  'aes-xts_256': { method: 'aes-xts-256', guid: 'ccc383b5-1324-4782-accf-0ffb1a58af77', protector: '03b1b63c-8dbc-4532-a12e-8f616549826e', fvek: 'c74002df41f5eadeee2549fc009233a2a510726ce08736aba2f84a52ac6e7bbc56b8a824a4dc26cf9c4c2926386319d17427998e045ebfdc789e328e0dc97da4', sha32k: '89b07fd136042fe812926db0c7375adef0d92d11bf3f78642657ac20458f2eaf' },
} as const;
