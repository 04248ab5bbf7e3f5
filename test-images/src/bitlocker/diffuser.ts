/**
 * Elephant diffuser, encryption direction (N. Ferguson, "AES-CBC + Elephant diffuser",
 * Microsoft 2006, as libbde's format document summarises it): the sector is read as
 * little-endian 32-bit words d[0..n-1]; readers run CBC-decrypt, diffuser B, diffuser A,
 * XOR sector key, so the writer runs the exact inverse:
 *   XOR sector key -> A (5 cycles, Ra = 9,0,13,0) -> B (3 cycles, Rb = 0,10,0,25) -> CBC.
 * Each decrypting cycle walks i = 0..n-1 adding f(d[i±2], rotl(d[i±5])); each encrypting
 * cycle walks i = n-1..0 subtracting the same term, which undoes it step by step.
 */
const RA = [9, 0, 13, 0];
const RB = [0, 10, 0, 25];

const rotl = (x: number, r: number) => (r === 0 ? x : ((x << r) | (x >>> (32 - r))) >>> 0);

/** Wrapped neighbour indices per sector word count (i-2, i-5, i+2, i+5 mod n). */
const neighbours = new Map<number, Int32Array[]>();
function indices(n: number): Int32Array[] {
  let t = neighbours.get(n);
  if (!t) {
    t = [-2, -5, 2, 5].map((k) => Int32Array.from({ length: n }, (_, i) => (((i + k) % n) + n) % n));
    neighbours.set(n, t);
  }
  return t;
}

/** In place over the words of one sector. */
export function diffuserAEncrypt(d: Uint32Array): void {
  const n = d.length;
  const [m2, m5] = indices(n);
  for (let cycle = 0; cycle < 5; cycle++) {
    for (let i = n - 1; i >= 0; i--) d[i] = d[i] - (d[m2[i]] ^ rotl(d[m5[i]], RA[i & 3]));
  }
}

export function diffuserBEncrypt(d: Uint32Array): void {
  const n = d.length;
  const [, , p2, p5] = indices(n);
  for (let cycle = 0; cycle < 3; cycle++) {
    for (let i = n - 1; i >= 0; i--) d[i] = d[i] - (d[p2[i]] ^ rotl(d[p5[i]], RB[i & 3]));
  }
}
