/**
 * BitLocker key stretching (libbde format document, "Recovery key" / "User key"):
 * a 88-byte structure { last_sha256[32], initial_sha256[32], salt[16], count u64le } is hashed
 * 0x100000 times, each hash replacing last_sha256 and the count going up by one; the final
 * last_sha256 is the key that AES-CCM-unwraps the VMK.
 *  - recovery password: initial = SHA-256(16-byte recovery key)
 *  - user password:     initial = SHA-256(SHA-256(UTF-16LE password, no terminator))
 */
import { createHash } from 'node:crypto';

export const STRETCH_ITERATIONS = 0x100000;

function sha256(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest();
}

/** Stretches `initialHash` (32 bytes) with `salt` (16 bytes); ~1.6 s with node:crypto here. */
export function stretchKey(initialHash: Uint8Array, salt: Uint8Array): Uint8Array {
  if (initialHash.length !== 32 || salt.length !== 16) throw new Error('stretchKey: need a 32-byte hash and a 16-byte salt');
  const buf = Buffer.alloc(88);
  buf.set(initialHash, 32);
  buf.set(salt, 64);
  for (let i = 0; i < STRETCH_ITERATIONS; i++) {
    buf.writeUInt32LE(i, 80); // count < 2^32: the high half stays zero
    createHash('sha256').update(buf).digest().copy(buf, 0);
  }
  return new Uint8Array(buf.subarray(0, 32));
}

export function recoveryKeyInitialHash(recoveryKey: Uint8Array): Uint8Array {
  return sha256(recoveryKey);
}

export function passwordInitialHash(password: string): Uint8Array {
  return sha256(sha256(Buffer.from(password, 'utf16le')));
}
