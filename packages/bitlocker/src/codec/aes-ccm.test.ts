import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { unwrapAesCcm, wrapAesCcm } from './aes-ccm.js';

/**
 * An independent CCM (NIST SP 800-38C: CBC-MAC over B0 ‖ payload, CTR with
 * counter blocks A_i; 12-byte nonce → L = 3; no associated data; 16-byte tag
 * encrypted with A_0), written from the spec on top of AES-ECB, to check that
 * BitLocker's layout is plain CCM as node:crypto implements it.
 */
function ccmEncrypt(key: Uint8Array, nonce: Uint8Array, plain: Uint8Array): { mac: Buffer; payload: Buffer } {
  const ecb = (block: Buffer) => { const c = createCipheriv('aes-256-ecb', key, null); c.setAutoPadding(false); return c.update(block); };
  const b0 = Buffer.alloc(16);
  b0[0] = (((16 - 2) / 2) << 3) | (3 - 1); // flags: M' = (16-2)/2, L' = L-1, Adata = 0
  b0.set(nonce, 1);
  b0.writeUIntBE(plain.length, 13, 3);
  let x = ecb(b0);
  for (let i = 0; i < plain.length; i += 16) {
    const block = Buffer.alloc(16);
    block.set(plain.subarray(i, i + 16));
    for (let j = 0; j < 16; j++) block[j] ^= x[j];
    x = ecb(block);
  }
  const counter = (i: number) => { const a = Buffer.alloc(16); a[0] = 3 - 1; a.set(nonce, 1); a.writeUIntBE(i, 13, 3); return ecb(a); };
  const payload = Buffer.alloc(plain.length);
  for (let i = 0; i < plain.length; i += 16) {
    const s = counter(i / 16 + 1);
    for (let j = 0; j < 16 && i + j < plain.length; j++) payload[i + j] = plain[i + j] ^ s[j];
  }
  const s0 = counter(0);
  const mac = Buffer.alloc(16);
  for (let j = 0; j < 16; j++) mac[j] = x[j] ^ s0[j];
  return { mac, payload };
}

describe('AES-CCM key unwrap', () => {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const plain = randomBytes(44); // a key entry: 8-byte header, method, 32-byte key

  it('agrees with an independent SP 800-38C implementation', () => {
    const ours = wrapAesCcm(key, nonce, plain);
    const ref = ccmEncrypt(key, nonce, plain);
    expect(Buffer.from(ours.mac)).toEqual(ref.mac);
    expect(Buffer.from(ours.payload)).toEqual(ref.payload);
    expect(Buffer.from(unwrapAesCcm(key, nonce, ref.mac, ref.payload)!)).toEqual(plain);
  });

  it('returns null on a MAC failure (wrong key, tampered payload or MAC)', () => {
    const { mac, payload } = wrapAesCcm(key, nonce, plain);
    expect(unwrapAesCcm(randomBytes(32), nonce, mac, payload)).toBeNull();
    const bad = payload.slice(); bad[3] ^= 1;
    expect(unwrapAesCcm(key, nonce, mac, bad)).toBeNull();
    const badMac = mac.slice(); badMac[0] ^= 0x80;
    expect(unwrapAesCcm(key, nonce, badMac, payload)).toBeNull();
    expect(unwrapAesCcm(key.subarray(0, 16), nonce, mac, payload)).toBeNull();
  });
});
