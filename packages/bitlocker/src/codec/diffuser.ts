/**
 * The Elephant diffuser of AES-CBC + diffuser (Windows Vista/7 methods 0x8000 and 0x8001).
 *
 * References: Niels Ferguson, "AES-CBC + Elephant diffuser: A Disk Encryption
 * Algorithm for Windows Vista" (Microsoft, 2006) §5; libbde format doc
 * §"Elephant diffuser"; dislocker `diffuser.c` (behaviour only).
 *
 * The sector is viewed as n little-endian 32-bit words d[0..n-1] (indices mod n).
 *   Diffuser A: Acycles = 5, rotations Ra = [9, 0, 13, 0], taps d[i-2], d[i-5]
 *   Diffuser B: Bcycles = 3, rotations Rb = [0, 10, 0, 25], taps d[i+2], d[i+5]
 * Decryption adds (i ascending), encryption subtracts (i descending):
 *   decrypt: AES-CBC⁻¹ → B⁻¹ → A⁻¹ → XOR sector key
 *   encrypt: XOR sector key → A → B → AES-CBC
 * Words are read in host order: callers run on little-endian hosts (checked in sector-cipher.ts).
 */

const RA = [9, 0, 13, 0];
const RB = [0, 10, 0, 25];

function rotl(x: number, r: number): number {
  return r === 0 ? x : (x << r) | (x >>> (32 - r));
}

/**
 * Inverse of diffuser A on the words d[start, start+n) (n a multiple of 4, ≥ 8).
 * The first 8 words wrap around (taps i−2, i−5); the rest run unrolled by 4 so
 * the rotations are constants (the hot loop of diffuser reads).
 */
export function diffuserADecrypt(d: Uint32Array, start: number, n: number): void {
  for (let cycle = 0; cycle < 5; cycle++) {
    for (let i = 0; i < 8; i++) {
      const a = i >= 2 ? i - 2 : i - 2 + n;
      const b = i >= 5 ? i - 5 : i - 5 + n;
      d[start + i] = d[start + i] + (d[start + a] ^ rotl(d[start + b], RA[i & 3]));
    }
    for (let p = start + 8, end = start + n; p < end; p += 4) {
      let x = d[p - 5];
      d[p] = d[p] + (d[p - 2] ^ ((x << 9) | (x >>> 23)));
      d[p + 1] = d[p + 1] + (d[p - 1] ^ d[p - 4]);
      x = d[p - 3];
      d[p + 2] = d[p + 2] + (d[p] ^ ((x << 13) | (x >>> 19)));
      d[p + 3] = d[p + 3] + (d[p + 1] ^ d[p - 2]);
    }
  }
}

export function diffuserAEncrypt(d: Uint32Array, start: number, n: number): void {
  for (let cycle = 0; cycle < 5; cycle++) {
    for (let i = n - 1; i >= 0; i--) {
      d[start + i] = d[start + i] - (d[start + ((i - 2 + n) % n)] ^ rotl(d[start + ((i - 5 + n) % n)], RA[i & 3]));
    }
  }
}

/** Inverse of diffuser B (taps i+2, i+5): unrolled by 4 except the last 8 words, which wrap. */
export function diffuserBDecrypt(d: Uint32Array, start: number, n: number): void {
  for (let cycle = 0; cycle < 3; cycle++) {
    const head = start + n - 8;
    for (let p = start; p < head; p += 4) {
      d[p] = d[p] + (d[p + 2] ^ d[p + 5]);
      let x = d[p + 6];
      d[p + 1] = d[p + 1] + (d[p + 3] ^ ((x << 10) | (x >>> 22)));
      d[p + 2] = d[p + 2] + (d[p + 4] ^ d[p + 7]);
      x = d[p + 8];
      d[p + 3] = d[p + 3] + (d[p + 5] ^ ((x << 25) | (x >>> 7)));
    }
    for (let i = n - 8; i < n; i++) {
      d[start + i] = d[start + i] + (d[start + ((i + 2) % n)] ^ rotl(d[start + ((i + 5) % n)], RB[i & 3]));
    }
  }
}

export function diffuserBEncrypt(d: Uint32Array, start: number, n: number): void {
  for (let cycle = 0; cycle < 3; cycle++) {
    for (let i = n - 1; i >= 0; i--) {
      d[start + i] = d[start + i] - (d[start + ((i + 2) % n)] ^ rotl(d[start + ((i + 5) % n)], RB[i & 3]));
    }
  }
}
