/**
 * FVE metadata entries ("datums"), libbde format document, "FVE metadata entry":
 *
 * | offset | size | description |
 * | 0 | 2 | entry size, header included |
 * | 2 | 2 | entry type (0 = property, 2 VMK, 3 FVEK, 6 startup key, 7 description, 0xf volume header block) |
 * | 4 | 2 | value type (1 key, 2 UTF-16 string, 3 stretch key, 5 AES-CCM, 8 VMK, 9 external key, 0xf offset+size) |
 * | 6 | 2 | version (1; 3 seen for the clear-key VMK) |
 * | 8 | … | value |
 *
 * AES-CCM values (value type 5): nonce (FILETIME 8 + counter u32le) | MAC 16 | ciphertext.
 * The plaintext of a wrapped key is itself a key entry whose header Windows writes as
 * size, 0, 1, version 0 (seen decrypting Windows 10 volumes: `2c00 0000 0100 0000 0320 0000`).
 */
import { createCipheriv } from 'node:crypto';
import { parseGuid } from '@coldfix/io';
import { noRoom } from './errors.js';

export const EntryType = { property: 0, vmk: 2, fvek: 3, validation: 4, startupKey: 6, description: 7, volumeHeaderBlock: 0xf } as const;
export const ValueType = { key: 1, string: 2, stretchKey: 3, useKey: 4, aesCcm: 5, vmk: 8, externalKey: 9, offsetAndSize: 0xf } as const;

/** Key protection types of a VMK entry (libbde: "Key protection types"). */
export const Protection = { clearKey: 0x0000, tpm: 0x0100, startupKey: 0x0200, recoveryPassword: 0x0800, password: 0x2000 } as const;

/** Key "encryption method" values found in key entries (libbde: "Encryption methods"). */
export const KeyMethod = {
  stretchRecovery: 0x1000,
  stretchPassword: 0x1001,
  vmk: 0x2003, // the VMK wrapped under a protector key (Windows 10 value)
  clearKey: 0x2000,
  externalKey: 0x2002,
  validationHash: 0x2005,
  stretchedPassword: 0x2007, // a password's stretched key, kept under the VMK
  stretchedRecovery: 0x2008, // a recovery password's stretched key, kept under the VMK
} as const;

/** Entry types Windows uses inside a recovery-password stretch key. */
export const StretchNested = {
  recoveryKey: 0x12,
  stretchedKey: 0x13,
} as const;

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** One entry: 8-byte header + value. Throws if it would not fit the 16-bit size. */
export function encodeEntry(entryType: number, valueType: number, version: number, value: Uint8Array): Uint8Array {
  const size = 8 + value.length;
  if (size > 0xffff) throw noRoom('BLW_ENTRY_SIZE', `FVE entry too large (${size} bytes)`);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint16(0, size, true);
  v.setUint16(2, entryType, true);
  v.setUint16(4, valueType, true);
  v.setUint16(6, version, true);
  out.set(value, 8);
  return out;
}

const u16 = (n: number) => { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, n, true); return b; };
const u32 = (n: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, true); return b; };
const u64 = (n: number | bigint) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n), true); return b; };
export { u16, u32, u64 };

export function utf16z(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text + '\0', 'utf16le'));
}

/** A UTF-16LE string entry (with its terminating NUL, as Windows writes it). */
export function stringEntry(entryType: number, text: string): Uint8Array {
  return encodeEntry(entryType, ValueType.string, 1, utf16z(text));
}

/** A key entry: method u32 + key bytes. `version` is 1 on disk, 0 inside AES-CCM payloads. */
export function keyEntry(method: number, key: Uint8Array, version = 1): Uint8Array {
  return encodeEntry(EntryType.property, ValueType.key, version, concat([u32(method), key]));
}

/**
 * Stretch-key property: method u32 + salt 16 + nested entries. Windows nests copies of the
 * protector's secrets wrapped under the VMK (found by decrypting Windows 10 samples), which is
 * how an unlocked Windows can show the recovery password again:
 *  - recovery password: entry type 0x12 = key {0x1000, 16-byte recovery key},
 *                       entry type 0x13 = key {0x2008, the stretched key};
 *  - password:          entry type 0 = key {0x2007, the stretched key}.
 */
export function stretchKeyEntry(method: number, salt: Uint8Array, nested: Uint8Array[] = []): Uint8Array {
  return encodeEntry(EntryType.property, ValueType.stretchKey, 1, concat([u32(method), salt, ...nested]));
}

/** "Use key" property of a startup-key VMK: method 0x2002 + AES-CCM (under the VMK) of the external key. */
export function useKeyEntry(method: number, nested: Uint8Array): Uint8Array {
  return encodeEntry(EntryType.property, ValueType.useKey, 1, concat([u32(method), nested]));
}

/** 12-byte AES-CCM nonce: FILETIME then a counter, both little-endian. */
export function makeNonce(filetime: bigint, counter: number): Uint8Array {
  return concat([u64(filetime), u32(counter)]);
}

/**
 * An AES-CCM value (nonce | MAC | ciphertext) wrapping `plaintext` under a 256-bit key.
 * Standard CCM (RFC 3610) with a 12-byte nonce, 16-byte tag and no associated data,
 * which is what dislocker and cryptsetup (kernel ccm(aes)) unwrap.
 */
export function aesCcmValue(wrappingKey: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-256-ccm', wrappingKey, nonce, { authTagLength: 16 });
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return concat([nonce, c.getAuthTag(), ct]);
}

export function aesCcmEntry(entryType: number, wrappingKey: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return encodeEntry(entryType, ValueType.aesCcm, 1, aesCcmValue(wrappingKey, nonce, plaintext));
}

/** VMK entry value header: protector GUID, modification FILETIME, u16 0, u16 protection, then properties. */
export function vmkEntry(guid: string, filetime: bigint, protection: number, properties: Uint8Array[], version = 1): Uint8Array {
  return encodeEntry(EntryType.vmk, ValueType.vmk, version, concat([parseGuid(guid), u64(filetime), u16(0), u16(protection), ...properties]));
}

/** FILETIME (100 ns since 1601-01-01 UTC) of a JavaScript date. */
export function toFiletime(date: Date): bigint {
  return BigInt(date.getTime()) * 10000n + 116444736000000000n;
}
