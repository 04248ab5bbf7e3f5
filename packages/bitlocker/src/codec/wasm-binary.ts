/**
 * The few pieces of the WebAssembly binary format our generated modules need
 * (the key stretch, the XTS whitening): LEB128 integers, sections, names,
 * opcodes, and instantiation with a fallback when WebAssembly (or its SIMD
 * proposal) is unavailable.
 *
 * References: WebAssembly core spec 1.0 §5 (binary format, §5.4 instructions);
 * the fixed-width SIMD proposal (0xfd-prefixed opcodes), part of WebAssembly 2.0.
 */

// Opcodes (WebAssembly core spec §5.4).
export const op = {
  get: 0x20, set: 0x21, tee: 0x22, const: 0x41, load: 0x28, store: 0x36,
  add: 0x6a, sub: 0x6b, and: 0x71, or: 0x72, xor: 0x73, shl: 0x74, shrU: 0x76, rotr: 0x78, ltU: 0x49, eqz: 0x45,
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, void: 0x40,
  i32: 0x7f, v128: 0x7b,
  simd: 0xfd,
};

/** SIMD opcodes after the 0xfd prefix, already LEB128-encoded. */
export const simd = {
  load: [0x00], store: [0x0b], const: [0x0c], shuffle: [0x0d],
  and: [0x4e], xor: [0x51], i64x2Shl: [0xcb, 0x01], i64x2ShrS: [0xcc, 0x01],
};

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  n |= 0;
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

export function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

export function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
}

/** The slice of the WebAssembly JS API used here (TypeScript's Node lib does not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object) => { exports: unknown };
}

/** Instantiates `bytes` synchronously; null when WebAssembly (or a feature the module uses) is unavailable. */
export function instantiate<T>(bytes: Uint8Array<ArrayBuffer>): T | null {
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (!wasm) return null;
    return new wasm.Instance(new wasm.Module(bytes)).exports as T;
  } catch {
    return null;
  }
}
