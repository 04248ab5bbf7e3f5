/**
 * Round trip on volumes made by the test-images BitLocker writer (a separate
 * implementation, proven with dislocker): mkntfs makes a plaintext NTFS
 * volume, the writer encrypts it; our plaintext view must equal both the
 * original plaintext and dislocker-file's output; then we write through the
 * volume and dislocker-file must read what we wrote.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { WritableFileSource, isWritable } from '@coldfix/io';
import { readBitLockerInfo, unlockBitLocker, type KeyMaterial } from '../src/index.js';
import { encryptToBitLocker, type EncryptOptions } from '../../../test-images/src/bitlocker/index.js';
import { dislockerDecrypt } from './fixtures.js';
import { describeWith, missingTools } from '@coldfix/test-support';

const SIZE = 8 << 20;
const suite = describeWith(missingTools('mkntfs', 'dislocker-file'));
const work = mkdtempSync(join(tmpdir(), 'coldfix-bitlocker-rt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function makeNtfs(path: string, sectorSize: number): Buffer {
  writeFileSync(path, Buffer.alloc(0));
  execFileSync('truncate', ['-s', String(SIZE), path]);
  execFileSync('mkntfs', ['-F', '-Q', '-q', '-s', String(sectorSize), '-c', '4096', '-L', 'RT', path, String(SIZE / sectorSize - 1)], { stdio: 'ignore' });
  return readFileSync(path);
}

type Case = { method: EncryptOptions['method']; sectorSize: 512 | 4096; protectors: EncryptOptions['protectors']; keys: (r: Awaited<ReturnType<typeof encryptToBitLocker>>) => KeyMaterial; dislocker: (r: Awaited<ReturnType<typeof encryptToBitLocker>>, dir: string) => string[] };
const clear = { protectors: { clearKey: true }, keys: () => ({}), dislocker: () => ['-c'] };
const cases: Case[] = [
  { method: 'aes-xts-128', sectorSize: 512, ...clear },
  { method: 'aes-xts-256', sectorSize: 512, ...clear },
  { method: 'aes-cbc-128', sectorSize: 512, ...clear },
  { method: 'aes-cbc-256', sectorSize: 4096, ...clear },
  { method: 'aes-cbc-128-diffuser', sectorSize: 512, ...clear },
  {
    method: 'aes-cbc-256-diffuser', sectorSize: 512, protectors: { startupKey: true },
    keys: (r) => ({ startupKeys: [r.bekFile!] }),
    dislocker: (r, dir) => { const p = join(dir, r.bekFile!.name); writeFileSync(p, r.bekFile!.bytes); return ['-f', p]; },
  },
  {
    method: 'aes-xts-128', sectorSize: 4096, protectors: { recoveryPassword: 'generate' },
    keys: (r) => ({ recoveryPasswords: [r.recoveryPassword!] }),
    dislocker: (r) => [`-p${r.recoveryPassword!}`],
  },
];

suite('round trip with the test-images BitLocker writer and dislocker-file', () => {
  for (const c of cases) {
    it(`${c.method}, ${c.sectorSize}-byte sectors, ${Object.keys(c.protectors).join('+')}`, async () => {
      const path = join(work, `${c.method}-${c.sectorSize}.img`);
      const plain = makeNtfs(path, c.sectorSize);
      const result = await encryptToBitLocker(path, 0, SIZE, { method: c.method, protectors: c.protectors, sectorSize: c.sectorSize, reserveInBitmap: false });
      const source = await WritableFileSource.openWritable(path);
      try {
        const info = await readBitLockerInfo(source);
        expect(info.method).toBe(c.method);
        expect(info.sectorSize).toBe(c.sectorSize);
        expect(info.volumeGuid).toBe(result.volumeGuid);
        expect(info.protectors.map((p) => [p.guid, p.type])).toEqual(result.protectors.map((p) => [p.guid, p.type]));
        const volume = await unlockBitLocker(source, c.keys(result));
        const ours = Buffer.from(await volume.read(0, SIZE));
        const theirs = readFileSync(dislockerDecrypt(path, c.dislocker(result, work), join(work, 'out.raw')));
        expect(theirs.length).toBeGreaterThanOrEqual(SIZE - c.sectorSize);
        expect(ours.subarray(0, theirs.length).equals(theirs.subarray(0, SIZE))).toBe(true);
        // ByteSource contract: random unaligned reads equal the same bytes of dislocker's plaintext.
        await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: theirs.length - 1 }), fc.integer({ min: 1, max: 20000 }), async (offset, length) => {
          const n = Math.min(length, theirs.length - offset);
          expect(Buffer.from(await volume.read(offset, n)).equals(theirs.subarray(offset, offset + n))).toBe(true);
        }), { numRuns: 100 });
        // Outside the BitLocker regions (zeros in both views) the plaintext is mkntfs's (reserveInBitmap: false
        // keeps the writer from touching $Bitmap).
        const reserved = [...result.metadataOffsets.map((o) => [o, o + 0x10000]), [result.volumeHeaderOffset, result.volumeHeaderOffset + Math.max(8192, c.sectorSize)]];
        const outside = (i: number) => !reserved.some(([a, b]) => i >= a && i < b);
        let mismatch = -1;
        for (let i = 0; i < SIZE; i += c.sectorSize) {
          if (outside(i) && !ours.subarray(i, i + c.sectorSize).equals(plain.subarray(i, i + c.sectorSize))) { mismatch = i; break; }
        }
        expect(mismatch).toBe(-1);

        // Write through our volume; dislocker must read exactly that.
        if (!isWritable(volume)) throw new Error('not writable');
        const patches = [{ offset: 3, bytes: randomBytes(40) }, { offset: 0x5000 + 7, bytes: randomBytes(3 * c.sectorSize) }, { offset: SIZE - 2 * c.sectorSize - 100, bytes: randomBytes(100) }];
        for (const p of patches) await volume.write(p.offset, p.bytes);
        await volume.flush();
        rmSync(join(work, 'out.raw'), { force: true }); // dislocker-file will not overwrite its output
        const after = readFileSync(dislockerDecrypt(path, c.dislocker(result, work), join(work, 'out.raw')));
        for (const p of patches) expect(after.subarray(p.offset, p.offset + p.bytes.length).equals(p.bytes)).toBe(true);
        const expected = Buffer.from(ours);
        for (const p of patches) expected.set(p.bytes, p.offset);
        expect(after.subarray(0, theirs.length).equals(expected.subarray(0, theirs.length))).toBe(true);
      } finally {
        await source.close();
        rmSync(path, { force: true });
        rmSync(join(work, 'out.raw'), { force: true });
      }
    }, 120_000);
  }
});
