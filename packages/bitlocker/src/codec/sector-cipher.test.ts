import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { diffuserADecrypt, diffuserAEncrypt, diffuserBDecrypt, diffuserBEncrypt } from './diffuser.js';
import { CbcCipher, XtsCipher, createSectorCipher } from './sector-cipher.js';
import { xtsWhitenKernel } from './xts-whiten-wasm.js';

function le128(v: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(v % 0x100000000, 0);
  b.writeUInt32LE(Math.floor(v / 0x100000000), 4);
  return b;
}

describe('batched XTS equals OpenSSL XTS per sector (tweak = sector number)', () => {
  const kernels = [['WebAssembly SIMD whitening', xtsWhitenKernel()], ['JavaScript whitening', null]] as const;
  it('the WebAssembly SIMD kernel instantiates on this Node', () => expect(xtsWhitenKernel()).not.toBeNull());
  for (const [kernelName, kernel] of kernels) for (const bits of [128, 256] as const) {
    for (const sectorSize of [512, 4096]) {
      it(`XTS-AES-${bits}, ${sectorSize}-byte sectors, ${kernelName}`, () => {
        const key = randomBytes(bits / 4);
        const firstSector = 0x1234567 + sectorSize; // > 2^32 bytes offset: exercises the high word
        const count = 7;
        const plain = randomBytes(sectorSize * count);
        const expected = Buffer.alloc(plain.length);
        for (let s = 0; s < count; s++) {
          const c = createCipheriv(`aes-${bits}-xts`, key, le128(firstSector + s));
          expected.set(c.update(plain.subarray(s * sectorSize, (s + 1) * sectorSize)), s * sectorSize);
        }
        const cipher = new XtsCipher(key, sectorSize, kernel);
        const data = new Uint8Array(plain);
        cipher.encrypt(data, firstSector * sectorSize);
        expect(Buffer.from(data)).toEqual(expected);
        cipher.decrypt(data, firstSector * sectorSize);
        expect(Buffer.from(data)).toEqual(plain);
        // Misaligned views work too.
        const shifted = new Uint8Array(expected.length + 1).subarray(1);
        shifted.set(expected);
        cipher.decrypt(shifted, firstSector * sectorSize);
        expect(Buffer.from(shifted)).toEqual(plain);
      });
    }
  }
});

describe('batches longer than one 64 KiB cipher slice, and sector numbers above 2^32', () => {
  const xtsJs = (keyBytes: number) => (key: Uint8Array, sectorSize: number) => new XtsCipher(key.subarray(0, keyBytes), sectorSize, null);
  const cases = [
    { method: 0x8004, name: 'XTS-AES-128', keyBytes: 32 },
    { method: 0x8004, name: 'XTS-AES-128 (JavaScript whitening)', keyBytes: 32, make: xtsJs(32) },
    { method: 0x8005, name: 'XTS-AES-256', keyBytes: 64 },
    { method: 0x8002, name: 'AES-CBC-128', keyBytes: 16 },
    { method: 0x8000, name: 'AES-CBC-128 + diffuser', keyBytes: 48 },
  ];
  for (const { method, name, keyBytes, make } of cases) {
    for (const sectorSize of [512, 4096]) {
      it(`${name}, ${sectorSize}-byte sectors: one call over ~2.3 slices equals sector-by-sector calls`, () => {
        const key = randomBytes(keyBytes);
        const count = Math.ceil((150 * 1024) / sectorSize) + 1; // crosses two slice boundaries, ends mid-slice
        const firstByte = (2 ** 32 + 5) * sectorSize; // sector number with a non-zero high word
        const plain = randomBytes(count * sectorSize);
        const one = make ? make(key, sectorSize) : createSectorCipher(method, key, sectorSize)!;
        const perSector = new Uint8Array(plain);
        for (let s = 0; s < count; s++) one.encrypt(perSector.subarray(s * sectorSize, (s + 1) * sectorSize), firstByte + s * sectorSize);
        const batched = new Uint8Array(plain);
        one.encrypt(batched, firstByte);
        expect(Buffer.from(batched).equals(Buffer.from(perSector))).toBe(true);
        expect(Buffer.from(batched).equals(plain)).toBe(false);
        const out = new Uint8Array(plain.length);
        one.decryptTo(batched, out, firstByte);
        expect(Buffer.from(out).equals(plain)).toBe(true);
        one.decrypt(batched, firstByte);
        expect(Buffer.from(batched).equals(plain)).toBe(true);
      });
    }
  }
  it('XTS with a sector number above 2^32 equals OpenSSL XTS', () => {
    const key = randomBytes(32);
    const sector = 2 ** 32 + 77;
    const plain = randomBytes(512);
    const expected = createCipheriv('aes-128-xts', key, le128(sector)).update(plain);
    const data = new Uint8Array(plain);
    new XtsCipher(key, 512).encrypt(data, sector * 512);
    expect(Buffer.from(data)).toEqual(expected);
  });
});

describe('batched CBC equals OpenSSL CBC per sector (IV = E_K(LE128(byte offset)))', () => {
  for (const bits of [128, 256] as const) {
    for (const sectorSize of [512, 4096]) {
      it(`AES-CBC-${bits}, ${sectorSize}-byte sectors`, () => {
        const key = randomBytes(bits / 8);
        const offset = 0x2200000;
        const count = 5;
        const plain = randomBytes(sectorSize * count);
        const expected = Buffer.alloc(plain.length);
        for (let s = 0; s < count; s++) {
          const ivc = createCipheriv(`aes-${bits}-ecb`, key, null); ivc.setAutoPadding(false);
          const iv = ivc.update(le128(offset + s * sectorSize));
          const c = createCipheriv(`aes-${bits}-cbc`, key, iv); c.setAutoPadding(false);
          expected.set(c.update(plain.subarray(s * sectorSize, (s + 1) * sectorSize)), s * sectorSize);
        }
        const cipher = new CbcCipher(bits, key, sectorSize);
        const data = new Uint8Array(plain);
        cipher.encrypt(data, offset);
        expect(Buffer.from(data)).toEqual(expected);
        cipher.decrypt(data, offset);
        expect(Buffer.from(data)).toEqual(plain);
      });
    }
  }
});

describe('Elephant diffuser', () => {
  it('A and B encrypt are the inverses of their decrypt, for 512- and 4096-byte sectors', () => {
    for (const words of [128, 1024]) {
      const d = new Uint32Array(randomBytes(words * 4).buffer);
      const copy = d.slice();
      diffuserAEncrypt(d, 0, words); diffuserBEncrypt(d, 0, words);
      expect(d).not.toEqual(copy);
      diffuserBDecrypt(d, 0, words); diffuserADecrypt(d, 0, words);
      expect(d).toEqual(copy);
    }
  });

  it('diffuses one flipped bit over the whole sector', () => {
    const d = new Uint32Array(128);
    const e = new Uint32Array(128); e[5] = 1;
    diffuserAEncrypt(d, 0, 128); diffuserBEncrypt(d, 0, 128);
    diffuserAEncrypt(e, 0, 128); diffuserBEncrypt(e, 0, 128);
    let differing = 0;
    for (let i = 0; i < 128; i++) if (d[i] !== e[i]) differing++;
    expect(differing).toBeGreaterThan(100);
  });

  it('CBC + diffuser: decrypt(encrypt(x)) = x and the sector key depends on the offset', () => {
    for (const bits of [128, 256] as const) {
      const fvek = randomBytes(64);
      const cipher = createSectorCipher(bits === 128 ? 0x8000 : 0x8001, fvek, 512)!;
      const plain = randomBytes(1024);
      const a = new Uint8Array(plain); cipher.encrypt(a, 4096);
      const b = new Uint8Array(plain); cipher.encrypt(b, 8192);
      expect(Buffer.from(a)).not.toEqual(Buffer.from(b));
      cipher.decrypt(a, 4096);
      expect(Buffer.from(a)).toEqual(plain);
      // Without the diffuser the same FVEK gives another ciphertext.
      const c = new Uint8Array(plain); createSectorCipher(bits === 128 ? 0x8002 : 0x8003, fvek, 512)!.encrypt(c, 4096);
      const d = new Uint8Array(plain); cipher.encrypt(d, 4096);
      expect(Buffer.from(c)).not.toEqual(Buffer.from(d));
      void createDecipheriv;
    }
  });

  it('unknown methods and short keys give no cipher', () => {
    expect(createSectorCipher(0x8006, randomBytes(64), 512)).toBeUndefined();
    expect(createSectorCipher(0x8005, randomBytes(32), 512)).toBeUndefined();
  });
});

describe('decryptTo', () => {
  it('equals in-place decryption for every method, aligned and misaligned, without touching the source', () => {
    for (const method of [0x8000, 0x8001, 0x8002, 0x8003, 0x8004, 0x8005]) {
      const cipher = createSectorCipher(method, randomBytes(64), 512)!;
      const cipherText = randomBytes(2048);
      const inPlace = new Uint8Array(cipherText);
      cipher.decrypt(inPlace, 1 << 20);
      const src = new Uint8Array(cipherText.length + 3).subarray(3);
      src.set(cipherText);
      const dst = new Uint8Array(cipherText.length + 1).subarray(1);
      cipher.decryptTo(src, dst, 1 << 20);
      expect(Buffer.from(dst)).toEqual(Buffer.from(inPlace));
      expect(Buffer.from(src)).toEqual(cipherText);
    }
  });
});
