/**
 * Sector encryption for each BitLocker method (libbde format document, "Encryption methods";
 * cryptsetup's dm-crypt mapping names in brackets):
 *  - AES-XTS 128/256 [xts-plain64]: XTS with tweak = sector number (volume byte offset /
 *    sector size) as a 16-byte little-endian value; one data unit per sector.
 *  - AES-CBC 128/256 [cbc-eboiv]: IV = AES-ECB(FVEK, volume byte offset as 16-byte LE).
 *  - AES-CBC + Elephant diffuser [cbc-elephant]: sector key = ECB(tweak key, offset LE16) ‖
 *    ECB(tweak key, offset LE16 with byte 15 = 0x80), XORed over the sector, then diffuser A,
 *    diffuser B, then CBC as above.
 * Offsets are relative to the start of the BitLocker volume, never of the disk.
 */
import { createCipheriv } from 'node:crypto';
import { endianness } from 'node:os';
import { diffuserAEncrypt, diffuserBEncrypt } from './diffuser.js';
import type { BitLockerMethod } from './types.js';
import { badInput, unsupported } from './errors.js';

/** FVE "encryption method" code of each method (libbde: "Encryption methods"). */
export const METHOD_CODE: Record<BitLockerMethod, number> = {
  'aes-cbc-128-diffuser': 0x8000,
  'aes-cbc-256-diffuser': 0x8001,
  'aes-cbc-128': 0x8002,
  'aes-cbc-256': 0x8003,
  'aes-xts-128': 0x8004,
  'aes-xts-256': 0x8005,
};

/** Length of the key material in the API / as cryptsetup dumps it. */
export const KEY_MATERIAL_LENGTH: Record<BitLockerMethod, number> = {
  'aes-xts-128': 32, 'aes-xts-256': 64, 'aes-cbc-128': 16, 'aes-cbc-256': 32, 'aes-cbc-128-diffuser': 32, 'aes-cbc-256-diffuser': 64,
};

/**
 * The key bytes stored in the FVEK entry. For diffuser methods Windows always stores 64 bytes:
 * a 32-byte FVEK slot and a 32-byte tweak-key slot, AES-128 using the first 16 bytes of each.
 */
export function fvekEntryKey(method: BitLockerMethod, material: Uint8Array): Uint8Array {
  if (method === 'aes-cbc-128-diffuser') {
    const k = new Uint8Array(64);
    k.set(material.subarray(0, 16), 0);
    k.set(material.subarray(16, 32), 32);
    return k;
  }
  return material;
}

export interface SectorCipher {
  readonly sectorSize: number;
  /** Encrypts whole sectors in place; `volumeOffset` is the volume byte offset of `data[0]`. */
  encrypt(data: Uint8Array, volumeOffset: number): void;
}

function ecb(key: Uint8Array, blocks: Uint8Array): Buffer {
  const c = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(blocks), c.final()]);
}

/** 16-byte little-endian encodings of `count` values `first + i * step`. */
function le128Series(first: number, step: number, count: number): Uint8Array {
  const out = new Uint8Array(count * 16);
  const v = new DataView(out.buffer);
  for (let i = 0; i < count; i++) v.setBigUint64(i * 16, BigInt(first + i * step), true);
  return out;
}

/** XORs `b` into `a` (same length, multiple of 4, 4-byte aligned views). */
function xorInto(a: Uint8Array, b: Uint8Array): void {
  if (a.byteOffset % 4 || b.byteOffset % 4) {
    for (let i = 0; i < a.length; i++) a[i] ^= b[i];
    return;
  }
  const a32 = new Uint32Array(a.buffer, a.byteOffset, a.length >> 2);
  const b32 = new Uint32Array(b.buffer, b.byteOffset, b.length >> 2);
  for (let i = 0; i < a32.length; i++) a32[i] ^= b32[i];
}

/**
 * XTS over many sectors with two OpenSSL calls instead of one per sector (IEEE 1619):
 * T(s, 0) = AES(key2, s as LE128), T(s, j+1) = T(s, j) * x in GF(2^128) (little-endian bytes,
 * reduction 0x87), C = AES(key1, P xor T) xor T. Sectors are whole multiples of 16 bytes, so
 * no ciphertext stealing.
 */
function xtsEncrypt(key1: Uint8Array, key2: Uint8Array, data: Uint8Array, firstSector: number, sectorSize: number): void {
  const count = data.length / sectorSize;
  const blocksPerSector = sectorSize / 16;
  const t0 = ecb(key2, le128Series(firstSector, 1, count));
  const tweaks = new Uint8Array(data.length);
  const w = new Uint32Array(tweaks.buffer);
  const t0w = new Uint32Array(t0.buffer, t0.byteOffset, t0.length >> 2);
  for (let s = 0; s < count; s++) {
    let a = t0w[s * 4], b = t0w[s * 4 + 1], c = t0w[s * 4 + 2], d = t0w[s * 4 + 3];
    let at = s * blocksPerSector * 4;
    for (let j = 0; j < blocksPerSector; j++, at += 4) {
      w[at] = a; w[at + 1] = b; w[at + 2] = c; w[at + 3] = d;
      const carry = d >>> 31;
      d = ((d << 1) | (c >>> 31)) >>> 0;
      c = ((c << 1) | (b >>> 31)) >>> 0;
      b = ((b << 1) | (a >>> 31)) >>> 0;
      a = ((a << 1) ^ (carry * 0x87)) >>> 0;
    }
  }
  xorInto(data, tweaks);
  data.set(ecb(key1, data));
  xorInto(data, tweaks);
}

/**
 * CBC over many sectors at once: block j of every sector is chained only to block j-1 of the
 * same sector, so one ECB call per block index covers all sectors of the batch.
 */
function cbcEncrypt(key: Uint8Array, data: Uint8Array, ivs: Uint8Array, sectorSize: number): void {
  const count = data.length / sectorSize;
  const column = new Uint8Array(count * 16);
  const prev = new Uint8Array(ivs);
  for (let j = 0; j < sectorSize; j += 16) {
    for (let s = 0; s < count; s++) column.set(data.subarray(s * sectorSize + j, s * sectorSize + j + 16), s * 16);
    xorInto(column, prev);
    const out = ecb(key, column);
    for (let s = 0; s < count; s++) data.set(out.subarray(s * 16, s * 16 + 16), s * sectorSize + j);
    prev.set(out);
  }
}

export function createSectorCipher(method: BitLockerMethod, material: Uint8Array, sectorSize: number): SectorCipher {
  if (material.length !== KEY_MATERIAL_LENGTH[method]) throw badInput('BLW_FVEK_LENGTH', `${method} needs ${KEY_MATERIAL_LENGTH[method]} key bytes, got ${material.length}`);
  if (endianness() !== 'LE') throw unsupported('BLW_ENDIANNESS', 'the sector cipher assumes a little-endian host');
  if (method.startsWith('aes-xts')) {
    const half = material.length / 2;
    const key1 = material.subarray(0, half);
    const key2 = material.subarray(half);
    return { sectorSize, encrypt: (data, volumeOffset) => withAligned(data, (d) => xtsEncrypt(key1, key2, d, volumeOffset / sectorSize, sectorSize)) };
  }
  const diffuser = method.endsWith('diffuser');
  const keyLength = method.includes('-128') ? 16 : 32;
  const fvek = material.subarray(0, keyLength);
  const tweakKey = diffuser ? material.subarray(keyLength, keyLength * 2) : undefined;
  return {
    sectorSize,
    encrypt: (data, volumeOffset) => withAligned(data, (d) => {
      const count = d.length / sectorSize;
      const offsets = le128Series(volumeOffset, sectorSize, count);
      if (tweakKey) {
        const pairs = new Uint8Array(count * 32);
        for (let i = 0; i < count; i++) {
          pairs.set(offsets.subarray(i * 16, i * 16 + 16), i * 32);
          pairs.set(offsets.subarray(i * 16, i * 16 + 16), i * 32 + 16);
          pairs[i * 32 + 31] = 0x80;
        }
        const sectorKeys = ecb(tweakKey, pairs);
        for (let i = 0; i < count; i++) {
          const sector = d.subarray(i * sectorSize, (i + 1) * sectorSize);
          const key = sectorKeys.subarray(i * 32, i * 32 + 32);
          for (let j = 0; j < sectorSize; j += 32) xorInto(sector.subarray(j, j + 32), key);
          const words = new Uint32Array(sector.buffer, sector.byteOffset, sectorSize / 4);
          diffuserAEncrypt(words);
          diffuserBEncrypt(words);
        }
      }
      cbcEncrypt(fvek, d, ecb(fvek, offsets), sectorSize);
    }),
  };
}

/** Runs `fn` on a 4-byte-aligned view of `data` (copying only when it is not aligned). */
function withAligned(data: Uint8Array, fn: (d: Uint8Array) => void): void {
  if (data.byteOffset % 4 === 0) { fn(data); return; }
  const copy = new Uint8Array(data);
  fn(copy);
  data.set(copy);
}
