/**
 * The BitLocker key stretch compiled to WebAssembly from our own generator
 * (no external toolchain): both SHA-256 compressions per round are emitted
 * fully unrolled, with the eight working variables, the 16-word rolling
 * message schedule and the hash state all held in wasm locals (registers), and
 * the a…h renaming done at generation time instead of with moves.
 *
 * References: FIPS 180-4 §6.2 (SHA-256); WebAssembly core spec 1.0 §5 (binary
 * format). The stretch structure is described in sha256-stretch.ts.
 *
 * Memory layout of the module (one 64 KiB page, exported as `memory`):
 *   0   8 × i32  initial SHA-256 as big-endian words (host writes them)
 *   32  4 × i32  salt as big-endian words
 *   64  8 × i32  result: the last SHA-256 as big-endian words
 */
import { STRETCH_ROUNDS } from './sha256-stretch.js';
import { SHA256_H0, SHA256_K } from './sha256-constants.js';
import { instantiate, name, op, section, sleb, uleb } from './wasm-binary.js';

const K = SHA256_K;
const H0 = SHA256_H0;

// Locals: 0 = rounds (param), then named slots.
const L = {
  round: 0, end: 1, t1: 2,
  v: [3, 4, 5, 6, 7, 8, 9, 10], // working variables a…h (renamed at generation time)
  w: Array.from({ length: 16 }, (_, i) => 11 + i),
  st: [27, 28, 29, 30, 31, 32, 33, 34], // hash state between the two blocks
  last: [35, 36, 37, 38, 39, 40, 41, 42],
  init: [43, 44, 45, 46, 47, 48, 49, 50],
  salt: [51, 52, 53, 54],
};
const LOCAL_COUNT = 53; // excluding the two parameters (first round, end round)

function buildBody(): number[] {
  const c: number[] = [];
  const get = (i: number) => c.push(op.get, ...uleb(i));
  const set = (i: number) => c.push(op.set, ...uleb(i));
  const k = (n: number) => c.push(op.const, ...sleb(n));
  const rotr = (i: number, r: number) => { get(i); k(r); c.push(op.rotr); };

  // Load the initial hash and salt words from memory.
  for (let i = 0; i < 8; i++) { k(0); c.push(op.load, 2, ...uleb(i * 4)); set(L.init[i]); }
  for (let i = 0; i < 4; i++) { k(0); c.push(op.load, 2, ...uleb(32 + i * 4)); set(L.salt[i]); }
  for (let i = 0; i < 8; i++) { k(0); c.push(op.load, 2, ...uleb(64 + i * 4)); set(L.last[i]); }

  // One fully unrolled compression: state in `inState` (locals, or constants when null), result into L.st.
  const compress = (inState: number[] | null) => {
    const names = [...L.v];
    for (let i = 0; i < 8; i++) { if (inState) get(inState[i]); else k(H0[i]); set(L.v[i]); }
    for (let i = 0; i < 64; i++) {
      const wi = L.w[i % 16];
      if (i >= 16) {
        // w[i] = w[i-16] + σ0(w[i-15]) + w[i-7] + σ1(w[i-2])
        get(wi);
        const x = L.w[(i + 1) % 16];
        rotr(x, 7); rotr(x, 18); c.push(op.xor); get(x); k(3); c.push(op.shrU, op.xor, op.add);
        get(L.w[(i + 9) % 16]); c.push(op.add);
        const y = L.w[(i + 14) % 16];
        rotr(y, 17); rotr(y, 19); c.push(op.xor); get(y); k(10); c.push(op.shrU, op.xor, op.add);
        set(wi);
      }
      const [a, b, cc, d, e, f, g, h] = names;
      // t1 = h + Σ1(e) + Ch(e,f,g) + K[i] + w[i]
      get(h);
      rotr(e, 6); rotr(e, 11); c.push(op.xor); rotr(e, 25); c.push(op.xor, op.add);
      get(g); get(e); get(f); get(g); c.push(op.xor, op.and, op.xor, op.add);
      k(K[i]); c.push(op.add); get(wi); c.push(op.add);
      set(L.t1);
      // d += t1 (d becomes the new e)
      get(d); get(L.t1); c.push(op.add); set(d);
      // h = t1 + Σ0(a) + Maj(a,b,c) (h becomes the new a)
      get(L.t1);
      rotr(a, 2); rotr(a, 13); c.push(op.xor); rotr(a, 22); c.push(op.xor, op.add);
      get(a); get(b); c.push(op.and); get(cc); get(a); get(b); c.push(op.or, op.and, op.or, op.add);
      set(h);
      names.unshift(names.pop()!); // rename: (a…h) ← (h', a, b, c, d', e, f, g)
    }
    for (let i = 0; i < 8; i++) {
      if (inState) get(inState[i]); else k(H0[i]);
      get(names[i]); c.push(op.add); set(L.st[i]);
    }
  };

  c.push(op.loop, op.void);
  // Block 1: last ‖ initial.
  for (let i = 0; i < 8; i++) { get(L.last[i]); set(L.w[i]); get(L.init[i]); set(L.w[i + 8]); }
  compress(null);
  // Block 2: salt ‖ LE u64 counter ‖ padding ‖ length (704 bits).
  for (let i = 0; i < 4; i++) { get(L.salt[i]); set(L.w[i]); }
  // byte-swap the round counter: the counter is little-endian on disk, SHA-256 reads big-endian words.
  get(L.round); k(24); c.push(op.shl);
  get(L.round); k(0xff00); c.push(op.and); k(8); c.push(op.shl, op.or);
  get(L.round); k(8); c.push(op.shrU); k(0xff00); c.push(op.and, op.or);
  get(L.round); k(24); c.push(op.shrU, op.or);
  set(L.w[4]);
  k(0); set(L.w[5]);
  k(0x80000000); set(L.w[6]);
  for (let i = 7; i < 15; i++) { k(0); set(L.w[i]); }
  k(88 * 8); set(L.w[15]);
  compress(L.st);
  for (let i = 0; i < 8; i++) { get(L.st[i]); set(L.last[i]); }
  // round += 1; continue while round < rounds
  get(L.round); k(1); c.push(op.add); set(L.round);
  get(L.round); get(L.end); c.push(op.ltU, op.brIf, 0);
  c.push(op.end);
  for (let i = 0; i < 8; i++) { k(0); get(L.last[i]); c.push(op.store, 2, ...uleb(64 + i * 4)); }
  c.push(op.end);
  return c;
}

/** Builds the module bytes (exported for tests and the bench). */
export function buildStretchModule(): Uint8Array<ArrayBuffer> {
  const body = [...uleb(1), ...uleb(LOCAL_COUNT), 0x7f, ...buildBody()];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 0]), // type: (i32 first, i32 end) -> ()
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(5, [1, 0, 1]), // memory: min 1 page
    ...section(7, [2, ...name('memory'), 2, 0, ...name('run'), 0, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

const STRETCH_SLICE = 4096;

let instance: { memory: { buffer: ArrayBuffer }; run: (first: number, end: number) => void } | null | undefined;

function getInstance() {
  // null without WebAssembly: the caller falls back to the JavaScript loop.
  if (instance === undefined) instance = instantiate<NonNullable<typeof instance>>(buildStretchModule());
  return instance;
}

/**
 * The stretch in WebAssembly; returns null when WebAssembly is unavailable.
 * Same contract as `stretchKey` (rounds ≤ 2^32 − 1).
 */
export function stretchKeyWasm(initialHash: Uint8Array, salt: Uint8Array, rounds = STRETCH_ROUNDS): Uint8Array | null {
  const inst = getInstance();
  if (!inst) return null;
  if (initialHash.length !== 32 || salt.length !== 16) throw new RangeError('stretchKey needs a 32-byte hash and a 16-byte salt');
  if (rounds < 1 || rounds > 0xffffffff) throw new RangeError('rounds out of range');
  const view = new DataView(inst.memory.buffer);
  for (let i = 0; i < 8; i++) view.setInt32(i * 4, (initialHash[i * 4] << 24) | (initialHash[i * 4 + 1] << 16) | (initialHash[i * 4 + 2] << 8) | initialHash[i * 4 + 3], true);
  for (let i = 0; i < 4; i++) view.setInt32(32 + i * 4, (salt[i * 4] << 24) | (salt[i * 4 + 1] << 16) | (salt[i * 4 + 2] << 8) | salt[i * 4 + 3], true);
  for (let i = 64; i < 96; i++) view.setUint8(i, 0);
  // Called in slices: V8 runs a wasm function's first calls in its baseline
  // compiler and swaps in optimised code only between calls (no on-stack
  // replacement for wasm), so one long call would stay ~10x slower.
  for (let first = 0; first < rounds; first += STRETCH_SLICE) inst.run(first, Math.min(rounds, first + STRETCH_SLICE));
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const word = view.getInt32(64 + i * 4, true);
    out[i * 4] = word >>> 24; out[i * 4 + 1] = word >>> 16; out[i * 4 + 2] = word >>> 8; out[i * 4 + 3] = word;
  }
  return out;
}
