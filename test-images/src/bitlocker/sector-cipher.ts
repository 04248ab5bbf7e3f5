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

export function createSectorCipher(method: BitLockerMethod, material: Uint8Array, sectorSize: number): SectorCipher {
  if (material.length !== KEY_MATERIAL_LENGTH[method]) throw new Error(`${method} needs ${KEY_MATERIAL_LENGTH[method]} key bytes, got ${material.length}`);
  if (method.startsWith('aes-xts')) {
    const algorithm = method === 'aes-xts-128' ? 'aes-128-xts' : 'aes-256-xts';
    return {
      sectorSize,
      encrypt(data, volumeOffset) {
        const count = data.length / sectorSize;
        const tweaks = le128Series(volumeOffset / sectorSize, 1, count);
        for (let i = 0; i < count; i++) {
          const c = createCipheriv(algorithm, material, tweaks.subarray(i * 16, i * 16 + 16));
          const sector = data.subarray(i * sectorSize, (i + 1) * sectorSize);
          const out = c.update(sector);
          c.final();
          sector.set(out);
        }
      },
    };
  }
  const diffuser = method.endsWith('diffuser');
  const keyLength = method.includes('-128') ? 16 : 32;
  const fvek = material.subarray(0, keyLength);
  const tweakKey = diffuser ? material.subarray(keyLength, keyLength * 2) : undefined;
  if (diffuser && endianness() !== 'LE') throw new Error('the diffuser implementation assumes a little-endian host');
  return {
    sectorSize,
    encrypt(data, volumeOffset) {
      const count = data.length / sectorSize;
      const offsets = le128Series(volumeOffset, sectorSize, count);
      const ivs = ecb(fvek, offsets);
      let sectorKeys: Buffer | undefined;
      if (tweakKey) {
        const pairs = new Uint8Array(count * 32);
        for (let i = 0; i < count; i++) {
          pairs.set(offsets.subarray(i * 16, i * 16 + 16), i * 32);
          pairs.set(offsets.subarray(i * 16, i * 16 + 16), i * 32 + 16);
          pairs[i * 32 + 31] = 0x80;
        }
        sectorKeys = ecb(tweakKey, pairs);
      }
      for (let i = 0; i < count; i++) {
        const sector = data.subarray(i * sectorSize, (i + 1) * sectorSize);
        if (sectorKeys) {
          for (let j = 0; j < sectorSize; j++) sector[j] ^= sectorKeys[i * 32 + (j & 31)];
          const words = new Uint32Array(sector.buffer, sector.byteOffset, sectorSize / 4);
          diffuserAEncrypt(words);
          diffuserBEncrypt(words);
        }
        const c = createCipheriv(keyLength === 16 ? 'aes-128-cbc' : 'aes-256-cbc', fvek, ivs.subarray(i * 16, i * 16 + 16));
        c.setAutoPadding(false);
        const out = c.update(sector);
        c.final();
        sector.set(out);
      }
    },
  };
}
