/**
 * BitLocker key stretch: 1,048,576 rounds of SHA-256 over an 88-byte structure.
 *
 * References: libbde "BitLocker Drive Encryption (BDE) format" §"Stretch key";
 * dislocker `src/accesses/stretch_key.c` (behaviour only); FIPS 180-4 (SHA-256).
 *
 * The structure hashed each round (88 bytes, padded by SHA-256 to two 64-byte blocks):
 *
 *   offset size  field
 *   0      32    last SHA-256 (initially zero)
 *   32     32    initial SHA-256 (of the password / recovery key)
 *   64     16    salt (from the stretch-key metadata entry)
 *   80     8     round counter, little-endian u64 (0 … 1,048,575)
 *
 * Why hand-written: a `node:crypto` `createHash` call per round costs ~1 µs of
 * binding overhead (≈1.2 s per unlock); this loop keeps every state word in a
 * local int32 and reuses the message schedule array (measured in
 * bench/src/bitlocker-bench.ts). Block 2 (salt, counter, padding) differs per
 * round only in the counter words, but its schedule is still recomputed: cheap.
 */

import { SHA256_H0, SHA256_K } from './sha256-constants.js';

const K = new Int32Array(SHA256_K);
const H0 = SHA256_H0;

/** Number of rounds Windows uses (libbde, dislocker, cryptsetup all agree). */
export const STRETCH_ROUNDS = 0x100000;

/** One SHA-256 compression of the 16 words in `w[0..15]` into `h` (8 words). `w` needs 64 entries. */
function compress(h: Int32Array, w: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15];
    const y = w[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (hh + S1 + ch + K[i] + w[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
  h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
}

function bigEndianWord(bytes: Uint8Array, at: number): number {
  return (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
}

/**
 * Runs the BitLocker stretch in pure JavaScript (the fallback when WebAssembly is unavailable).
 * @param initialHash 32 bytes: SHA-256 of the recovery key, or SHA-256(SHA-256(UTF-16LE password)).
 * @param salt 16 bytes from the stretch-key entry.
 * @param rounds defaults to 1,048,576 (tests use fewer to compare against a reference).
 * @returns the 32-byte key that unwraps the VMK.
 */
export function stretchKeyJs(initialHash: Uint8Array, salt: Uint8Array, rounds = STRETCH_ROUNDS): Uint8Array {
  if (initialHash.length !== 32 || salt.length !== 16) throw new RangeError('stretchKey needs a 32-byte hash and a 16-byte salt');
  const last = new Int32Array(8); // the "last SHA-256" field, as big-endian words
  const init = new Int32Array(8);
  const saltWords = new Int32Array(4);
  for (let i = 0; i < 8; i++) init[i] = bigEndianWord(initialHash, i * 4);
  for (let i = 0; i < 4; i++) saltWords[i] = bigEndianWord(salt, i * 4);
  const w = new Int32Array(64);
  const h = new Int32Array(8);
  for (let round = 0; round < rounds; round++) {
    // Block 1: last ‖ initial.
    for (let i = 0; i < 8; i++) { w[i] = last[i]; w[i + 8] = init[i]; h[i] = H0[i]; }
    compress(h, w);
    // Block 2: salt ‖ counter (LE u64, as big-endian words) ‖ 0x80 ‖ zeros ‖ bit length 704.
    w[0] = saltWords[0]; w[1] = saltWords[1]; w[2] = saltWords[2]; w[3] = saltWords[3];
    const lo = round >>> 0;
    const hi = Math.floor(round / 0x100000000);
    w[4] = ((lo & 0xff) << 24) | ((lo & 0xff00) << 8) | ((lo >>> 8) & 0xff00) | (lo >>> 24);
    w[5] = ((hi & 0xff) << 24) | ((hi & 0xff00) << 8) | ((hi >>> 8) & 0xff00) | (hi >>> 24);
    w[6] = 0x80000000 | 0;
    for (let i = 7; i < 15; i++) w[i] = 0;
    w[15] = 88 * 8;
    compress(h, w);
    last.set(h);
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    out[i * 4] = last[i] >>> 24; out[i * 4 + 1] = last[i] >>> 16; out[i * 4 + 2] = last[i] >>> 8; out[i * 4 + 3] = last[i];
  }
  return out;
}
