/**
 * The write path: plaintext written through the unlocked volume lands
 * encrypted with the right key and tweak, where it belongs (the relocated
 * header included), as dislocker-file and OpenSSL (per sector, with the FVEK
 * of the manifest) read it back.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSource, OutOfRangeError, PreconditionError, WritableFileSource, isWritable } from '@coldfix/io';
import { unlockBitLocker } from '../src/index.js';
import { readFveMetadata } from '../src/metadata.js';
import { PASSWORD, dislockerDecrypt, fixture, fixturesMissing, volumes } from './fixtures.js';
import { describeWith, itWith, missingTools } from '@coldfix/test-support';

const suite = describeWith(fixturesMissing);
const work = mkdtempSync(join(tmpdir(), 'coldfix-bitlocker-write-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function le128(v: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(v % 0x100000000, 0);
  b.writeUInt32LE(Math.floor(v / 0x100000000), 4);
  return b;
}

/** Independent sector decryption with OpenSSL, for the non-diffuser methods. */
function opensslDecryptSector(method: string, fvekHex: string, stored: number, sector: Uint8Array): Buffer {
  const key = Buffer.from(fvekHex, 'hex');
  if (method.startsWith('aes-xts')) {
    return createDecipheriv(method === 'aes-xts-128' ? 'aes-128-xts' : 'aes-256-xts', key, le128(stored / 512)).update(sector);
  }
  const bits = method === 'aes-cbc-128' ? 128 : 256;
  const k = key.subarray(0, bits / 8);
  const ivc = createCipheriv(`aes-${bits}-ecb`, k, null); ivc.setAutoPadding(false);
  const d = createDecipheriv(`aes-${bits}-cbc`, k, ivc.update(le128(stored))); d.setAutoPadding(false);
  return d.update(sector);
}

const patches = [
  { offset: 100, bytes: randomBytes(300) }, // inside sector 0: relocated header, partial sector
  { offset: 0x1ff0, bytes: randomBytes(0x30) }, // straddles the header (sector 15) and sector 16
  { offset: 0x100000, bytes: randomBytes(8192) }, // aligned data
  { offset: 0x300001, bytes: randomBytes(1500) }, // unaligned both ends
];

suite('writes through the unlocked volume', () => {
  // One volume per cipher family (every method is written and read back by dislocker in round-trip.test.ts).
  for (const [name, facts] of Object.entries(volumes).filter(([n]) => ['aes_128', 'aes_128_diffuser', 'aes-xts_128', 'aes-xts_256'].includes(n))) {
    const readByDislocker = ['aes_128_diffuser', 'aes-xts_128'].includes(name);
    itWith(readByDislocker && missingTools('dislocker-file'))(`${name}: writes land encrypted where they belong${['aes_128_diffuser', 'aes-xts_128'].includes(name) ? ' (dislocker-file reads them)' : ''}`, async () => {
      const copy = join(work, `${name}.bin`);
      execFileSync('cp', ['--sparse=always', await fixture(name), copy]);
      const source = await WritableFileSource.openWritable(copy);
      try {
        const volume = await unlockBitLocker(source, { passwords: [PASSWORD] });
        expect(isWritable(volume)).toBe(true);
        if (!isWritable(volume)) throw new Error('not writable');
        const before = await volume.read(0, 0x400000);
        for (const p of patches) await volume.write(p.offset, p.bytes);
        await volume.flush();
        const after = await volume.read(0, 0x400000);
        const expected = Buffer.from(before);
        for (const p of patches) expected.set(p.bytes, p.offset);
        expect(Buffer.from(after).equals(expected)).toBe(true);

        // Sector 0 is stored at the header backup (0x2200000), encrypted with that location's tweak;
        // the raw sector 0 (the BitLocker header) is untouched.
        const raw0 = await source.read(0, 512);
        expect(Buffer.from(raw0.subarray(3, 11)).toString('latin1')).toBe('-FVE-FS-');
        if (!facts.method.includes('diffuser')) {
          const stored = 0x2200000;
          const sector0 = opensslDecryptSector(facts.method, facts.fvek, stored, await source.read(stored, 512));
          expect(sector0.equals(expected.subarray(0, 512))).toBe(true);
          const data = opensslDecryptSector(facts.method, facts.fvek, 0x100000, await source.read(0x100000, 512));
          expect(data.equals(expected.subarray(0x100000, 0x100200))).toBe(true);
        }

        // Metadata and the header backup are not writable; nor is anything past the image end.
        const metadataAt = volume.info.metadataOffsets[0];
        const headerBackup = Number((await readFveMetadata(source)).blocks[0].header.volumeHeaderOffset);
        expect(headerBackup).toBe(facts.method.includes('diffuser') ? 0x298a000 : 0x2200000);
        await expect(volume.write(metadataAt + 512, new Uint8Array(512))).rejects.toBeInstanceOf(PreconditionError);
        await expect(volume.write(headerBackup, new Uint8Array(16))).rejects.toBeInstanceOf(PreconditionError);
        await expect(volume.write(60_000_000, new Uint8Array(512))).rejects.toBeInstanceOf(OutOfRangeError);
        expect(await volume.read(metadataAt, 512)).toEqual(new Uint8Array(512));

        if (readByDislocker) {
          const out = dislockerDecrypt(copy, [`-u${PASSWORD}`], join(work, `${name}.raw`));
          const theirs = readFileSync(out);
          expect(theirs.subarray(0, 0x400000).equals(expected)).toBe(true);
          rmSync(out, { force: true });
        }
      } finally {
        await source.close();
        rmSync(copy, { force: true });
      }
    });
  }

  it('win7_partial: writes on either side of the conversion boundary land as such; straddling ones are refused', async () => {
    const copy = join(work, 'win7_partial.bin');
    execFileSync('cp', ['--sparse=always', await fixture('win7_partial'), copy]);
    const source = await WritableFileSource.openWritable(copy);
    try {
      const volume = await unlockBitLocker(source, {}); // clear key
      if (!isWritable(volume)) throw new Error('not writable');
      const boundary = 0x442d5000;
      const below = randomBytes(1024);
      const above = randomBytes(1024);
      await volume.write(boundary - 1024, below);
      await volume.write(boundary, above);
      const straddle = await volume.write(boundary - 512, new Uint8Array(1024)).catch((e) => e);
      expect(straddle).toBeInstanceOf(PreconditionError);
      expect(straddle.code).toBe('BITLOCKER_WRITE_CONVERSION_BOUNDARY');
      // Above the boundary the plaintext is stored as is; below it, AES-CBC-256 with the FVEK cryptsetup dumps.
      expect(Buffer.from(await source.read(boundary, 1024)).equals(above)).toBe(true);
      const fvek = '6a8af6dfc8e4d3e5b3ac8a8baaf02b5cbcf591dfd9cc8c33124ae2c58a05cfd6';
      for (let s = 0; s < 2; s++) {
        const stored = boundary - 1024 + s * 512;
        expect(opensslDecryptSector('aes-cbc-256', fvek, stored, await source.read(stored, 512)).equals(below.subarray(s * 512, s * 512 + 512))).toBe(true);
      }
      expect(Buffer.from(await volume.read(boundary - 1024, 2048)).equals(Buffer.concat([below, above]))).toBe(true);
    } finally {
      await source.close();
      rmSync(copy, { force: true });
    }
  });

  it('a read-only source gives a read-only volume', async () => {
    const source = await FileSource.open(await fixture('suspended'));
    try {
      const volume = await unlockBitLocker(source, {});
      expect(isWritable(volume)).toBe(false);
    } finally {
      await source.close();
    }
  });
});
