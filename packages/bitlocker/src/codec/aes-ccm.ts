/**
 * AES-CCM unwrap of BitLocker keys (VMK under a protector key, FVEK under the VMK).
 *
 * References: NIST SP 800-38C (CCM); libbde format doc §"AES-CCM encrypted key"
 * (12-byte nonce = FILETIME ‖ counter, 16-byte MAC, no associated data).
 * Windows' layout is plain CCM with L = 3, so node:crypto `aes-256-ccm` with a
 * 12-byte IV and 16-byte tag does it; a MAC mismatch means a wrong key.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

/** Decrypts and authenticates; returns null when the MAC does not match (wrong key or damaged entry). */
export function unwrapAesCcm(key: Uint8Array, nonce: Uint8Array, mac: Uint8Array, payload: Uint8Array): Uint8Array | null {
  if (key.length !== 32 || nonce.length !== 12 || mac.length !== 16) return null;
  try {
    const decipher = createDecipheriv('aes-256-ccm', key, nonce, { authTagLength: 16 });
    decipher.setAuthTag(mac);
    const plain = decipher.update(payload);
    decipher.final();
    return new Uint8Array(plain);
  } catch {
    return null;
  }
}

/** Encrypts `plain`; returns { mac, payload } (used by tests and writers). */
export function wrapAesCcm(key: Uint8Array, nonce: Uint8Array, plain: Uint8Array): { mac: Uint8Array; payload: Uint8Array } {
  const cipher = createCipheriv('aes-256-ccm', key, nonce, { authTagLength: 16 });
  const payload = cipher.update(plain);
  cipher.final();
  return { mac: new Uint8Array(cipher.getAuthTag()), payload: new Uint8Array(payload) };
}
