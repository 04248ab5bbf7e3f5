/**
 * Key derivation for password-like protectors (libbde format doc, "Stretch key";
 * dislocker `stretch_key.c`, behaviour only):
 *
 *   recovery password → 16-byte recovery key → SHA-256          → stretch(salt) → 32-byte key
 *   user password     → UTF-16LE → SHA-256 → SHA-256             → stretch(salt) → 32-byte key
 */
import { createHash } from 'node:crypto';
import { STRETCH_ROUNDS, stretchKeyJs } from './sha256-stretch.js';
import { stretchKeyWasm } from './sha256-stretch-wasm.js';
import { stretchKeyNative } from './sha256-stretch-native.js';

export { STRETCH_ROUNDS };

/** The stretch with the fastest implementation available (native addon, else WebAssembly, else JavaScript). */
export function stretchKey(initialHash: Uint8Array, salt: Uint8Array, rounds = STRETCH_ROUNDS): Uint8Array {
  return stretchKeyNative(initialHash, salt, rounds) ?? stretchKeyWasm(initialHash, salt, rounds) ?? stretchKeyJs(initialHash, salt, rounds);
}

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** Initial hash of a user password: SHA-256(SHA-256(UTF-16LE(password))), no terminator. */
export function passwordInitialHash(password: string): Uint8Array {
  const utf16 = new Uint8Array(password.length * 2);
  for (let i = 0; i < password.length; i++) {
    const unit = password.charCodeAt(i);
    utf16[i * 2] = unit & 0xff;
    utf16[i * 2 + 1] = unit >>> 8;
  }
  return sha256(sha256(utf16));
}

/** Initial hash of a recovery password: SHA-256 of its 16-byte binary key. */
export function recoveryKeyInitialHash(recoveryKey: Uint8Array): Uint8Array {
  return sha256(recoveryKey);
}
