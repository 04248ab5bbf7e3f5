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

/** Inverse of diffuser A on the words d[start, start+n). */
export function diffuserADecrypt(d: Uint32Array, start: number, n: number): void {
  for (let cycle = 0; cycle < 5; cycle++) {
    for (let i = 0; i < n; i++) {
      d[start + i] = d[start + i] + (d[start + ((i - 2 + n) % n)] ^ rotl(d[start + ((i - 5 + n) % n)], RA[i & 3]));
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

export function diffuserBDecrypt(d: Uint32Array, start: number, n: number): void {
  for (let cycle = 0; cycle < 3; cycle++) {
    for (let i = 0; i < n; i++) {
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
