/**
 * BitLocker sector ciphers, batched: many sectors per node:crypto call.
 *
 * References: libbde format doc §"Encryption methods"; cryptsetup bitlk
 * (`cbc-eboiv`: IV = AES_K(LE128(byte offset)); `xts-plain64` with the
 * BitLocker sector as data unit: tweak = LE128(byte offset / sector size));
 * IEEE 1619-2007 (XTS); the Elephant paper (diffuser sector key).
 *
 * Batching (measured in bench/src/bitlocker-bench.ts): node:crypto's XTS
 * processes one data unit per cipher object, so instead the tweaks of all
 * sectors are encrypted in one ECB call, expanded by multiplication by α in JS,
 * and the data goes through one ECB call between two XOR passes. CBC
 * decryption is parallel too: one CBC decryption of the whole batch as a
 * single chain, then the first block of each sector mended with its own IV.
 * CBC encryption is serial, so it stays one cipher call per sector.
 *
 * Slice size: node:crypto allocates a fresh output buffer per `update`; at
 * 256 KiB and above that allocation (mmap, page faults) costs more than AES-NI
 * itself (4 MiB ECB calls ran at ~0.35 GB/s here, 64 KiB calls at ~6 GB/s), so
 * batches are cut into 64 KiB slices, which also keeps the XOR passes in cache.
 *
 * Offsets passed in are the byte offsets used for the IV/tweak (for the
 * relocated volume header they differ from where the bytes are stored).
 */
import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import { diffuserADecrypt, diffuserAEncrypt, diffuserBDecrypt, diffuserBEncrypt } from './diffuser.js';
import { XTS_WASM_DATA, XTS_WASM_FIRST_TWEAKS, XTS_WASM_SLICE, xtsWhitenKernel, type XtsWhitenKernel } from './xts-whiten-wasm.js';

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('@coldfix/bitlocker sector ciphers assume a little-endian host');
}

/**
 * Bytes per node:crypto call (see the module comment); a multiple of every sector size, and the
 * most the XTS whitening kernel takes at once.
 */
export const CIPHER_SLICE_BYTES = XTS_WASM_SLICE;

export interface SectorCipher {
  readonly sectorSize: number;
  /** Decrypts whole sectors in place; `tweakOffset` is the byte offset of data[0]. */
  decrypt(data: Uint8Array, tweakOffset: number): void;
  /** Decrypts whole sectors of `src` into `dst` (same length; may be the same bytes); `src` is only read. */
  decryptTo(src: Uint8Array, dst: Uint8Array, tweakOffset: number): void;
  /** Encrypts whole sectors in place. */
  encrypt(data: Uint8Array, tweakOffset: number): void;
}

function ecb(bits: 128 | 256, key: Uint8Array, encrypt: boolean): Cipher | Decipher {
  const c = encrypt ? createCipheriv(`aes-${bits}-ecb`, key, null) : createDecipheriv(`aes-${bits}-ecb`, key, null);
  c.setAutoPadding(false);
  return c;
}

/**
 * 16-byte little-endian values of `offset + i·step`, one per sector, for one bulk ECB call.
 * Written as 32-bit words into a reused scratch buffer (this runs once per 64 KiB slice).
 */
const le128Scratch = new Uint32Array((CIPHER_SLICE_BYTES / 512) * 4 * 2);
function le128Blocks(count: number, first: number, step: number, highByte = 0): Uint8Array {
  const words = count * 4 <= le128Scratch.length ? le128Scratch.subarray(0, count * 4) : new Uint32Array(count * 4);
  const high = highByte << 24;
  for (let i = 0, o = 0; i < count; i++, o += 4) {
    const v = first + i * step;
    words[o] = v >>> 0;
    words[o + 1] = (v / 0x100000000) >>> 0;
    words[o + 2] = 0;
    words[o + 3] = high;
  }
  return new Uint8Array(words.buffer, words.byteOffset, count * 16);
}

/** A Uint32Array over `data` (copying only if misaligned); `commit` writes it back if it was a copy. */
function words(data: Uint8Array): { w: Uint32Array; commit: () => void } {
  if (data.byteOffset % 4 === 0) return { w: new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2), commit: () => {} };
  const copy = new Uint8Array(data);
  return { w: new Uint32Array(copy.buffer), commit: () => data.set(copy) };
}

function asWords(buf: Uint8Array): Uint32Array {
  return buf.byteOffset % 4 === 0 ? new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2) : new Uint32Array(new Uint8Array(buf).buffer);
}


/** Runs `fn` over consecutive slices of at most CIPHER_SLICE_BYTES (whole sectors) of `src`/`dst`. */
function sliced(src: Uint8Array, dst: Uint8Array, tweakOffset: number, sectorSize: number,
  fn: (src: Uint8Array, dst: Uint8Array, tweakOffset: number) => void): void {
  const slice = Math.max(sectorSize, CIPHER_SLICE_BYTES - (CIPHER_SLICE_BYTES % sectorSize));
  for (let at = 0; at < src.length; at += slice) {
    const end = Math.min(src.length, at + slice);
    fn(src.subarray(at, end), dst.subarray(at, end), tweakOffset + at);
  }
}

export class XtsCipher implements SectorCipher {
  private readonly dataDec: Decipher;
  private readonly dataEnc: Cipher;
  private readonly tweakEnc: Cipher;
  /**
   * @param kernel the WebAssembly SIMD whitening, or null for the JavaScript loop
   *   (the fallback where WebAssembly SIMD is missing; tests run both)
   */
  constructor(key: Uint8Array, readonly sectorSize: number, private readonly kernel: XtsWhitenKernel | null = xtsWhitenKernel()) {
    const half = key.length / 2;
    const bits = half === 16 ? 128 : 256;
    this.dataDec = ecb(bits, key.subarray(0, half), false) as Decipher;
    this.dataEnc = ecb(bits, key.subarray(0, half), true) as Cipher;
    this.tweakEnc = ecb(bits, key.subarray(half), true) as Cipher;
  }

  /**
   * dst[i] = src[i] XOR T for every 16-byte block, with T_j = E_K2(sector) · α^j in
   * GF(2^128) generated on the fly (fused: no tweak buffer, one pass).
   */
  private static xorTweaks(dst: Uint32Array, src: Uint32Array, t0: Uint32Array, count: number, blocks: number): void {
    let o = 0;
    for (let s = 0; s < count; s++) {
      let a = t0[s * 4], b = t0[s * 4 + 1], c = t0[s * 4 + 2], d = t0[s * 4 + 3];
      for (let j = 0; j < blocks; j++, o += 4) {
        dst[o] = src[o] ^ a; dst[o + 1] = src[o + 1] ^ b; dst[o + 2] = src[o + 2] ^ c; dst[o + 3] = src[o + 3] ^ d;
        // multiply by α: 128-bit little-endian shift left by one, reduce with 0x87 (IEEE 1619 §5.2).
        const carry = d >>> 31;
        d = (d << 1) | (c >>> 31);
        c = (c << 1) | (b >>> 31);
        b = (b << 1) | (a >>> 31);
        a = (a << 1) ^ (carry * 0x87);
      }
    }
  }

  private run(src: Uint8Array, dst: Uint8Array, tweakOffset: number, cipher: Cipher | Decipher): void {
    const count = src.length / this.sectorSize;
    const blocks = this.sectorSize >>> 4;
    const firstTweaks = this.tweakEnc.update(le128Blocks(count, tweakOffset / this.sectorSize, 1));
    const kernel = this.kernel;
    if (kernel) {
      // WebAssembly SIMD whitening: the slice is copied into the kernel's memory, whitened,
      // through AES, whitened again and copied out (copies cost less than the JavaScript XORs).
      const mem = new Uint8Array(kernel.memory.buffer);
      mem.set(firstTweaks, XTS_WASM_FIRST_TWEAKS);
      mem.set(src, XTS_WASM_DATA);
      kernel.pre(count, blocks);
      mem.set(cipher.update(mem.subarray(XTS_WASM_DATA, XTS_WASM_DATA + src.length)), XTS_WASM_DATA);
      kernel.post(src.length);
      dst.set(mem.subarray(XTS_WASM_DATA, XTS_WASM_DATA + src.length));
      return;
    }
    const t0 = asWords(firstTweaks);
    const { w, commit } = words(dst);
    XtsCipher.xorTweaks(w, src === dst ? w : asWords(src), t0, count, blocks);
    commit();
    const out = asWords(cipher.update(dst));
    XtsCipher.xorTweaks(w, out, t0, count, blocks);
    commit();
  }

  decrypt(data: Uint8Array, tweakOffset: number): void {
    this.decryptTo(data, data, tweakOffset);
  }
  decryptTo(src: Uint8Array, dst: Uint8Array, tweakOffset: number): void {
    sliced(src, dst, tweakOffset, this.sectorSize, (s, d, t) => this.run(s, d, t, this.dataDec));
  }
  encrypt(data: Uint8Array, tweakOffset: number): void {
    sliced(data, data, tweakOffset, this.sectorSize, (s, d, t) => this.run(s, d, t, this.dataEnc));
  }
}

export class CbcCipher implements SectorCipher {
  private readonly bits: 128 | 256;
  private readonly key: Uint8Array;
  private readonly ivEnc: Cipher;
  private readonly tweakEnc: Cipher | undefined;

  /**
   * @param key the FVEK (16 or 32 bytes used)
   * @param tweakKey the diffuser tweak key, or undefined for plain AES-CBC
   */
  constructor(bits: 128 | 256, key: Uint8Array, readonly sectorSize: number, tweakKey?: Uint8Array) {
    this.bits = bits;
    this.key = new Uint8Array(key.subarray(0, bits / 8));
    this.ivEnc = ecb(bits, this.key, true) as Cipher;
    this.tweakEnc = tweakKey ? (ecb(bits, tweakKey.subarray(0, bits / 8), true) as Cipher) : undefined;
  }

  private ivs(count: number, tweakOffset: number): Uint32Array {
    return asWords(this.ivEnc.update(le128Blocks(count, tweakOffset, this.sectorSize)));
  }

  /** Elephant sector key: E_T(LE128(offset)) ‖ E_T(LE128(offset) with byte 15 = 0x80), 32 bytes per sector. */
  private sectorKeys(count: number, tweakOffset: number): Uint32Array {
    const a = asWords(this.tweakEnc!.update(le128Blocks(count, tweakOffset, this.sectorSize)));
    const b = asWords(this.tweakEnc!.update(le128Blocks(count, tweakOffset, this.sectorSize, 0x80)));
    const out = new Uint32Array(count * 8);
    for (let s = 0; s < count; s++) {
      out.set(a.subarray(s * 4, s * 4 + 4), s * 8);
      out.set(b.subarray(s * 4, s * 4 + 4), s * 8 + 4);
    }
    return out;
  }

  decrypt(data: Uint8Array, tweakOffset: number): void {
    this.decryptTo(data, data, tweakOffset);
  }

  decryptTo(src: Uint8Array, dst: Uint8Array, tweakOffset: number): void {
    sliced(src, dst, tweakOffset, this.sectorSize, (s, d, t) => this.decryptSlice(s, d, t));
  }

  /**
   * One OpenSSL CBC decryption over the whole slice, as if it were one chain:
   * every block comes out right (D(C_i) ⊕ C_{i-1}) except the first block of
   * each sector after the first, which was XORed with the previous sector's
   * last ciphertext block instead of its own IV; 16 bytes a sector are mended
   * here instead of a JavaScript XOR pass over every word.
   */
  private decryptSlice(src: Uint8Array, dst: Uint8Array, tweakOffset: number): void {
    const count = src.length / this.sectorSize;
    const sw = this.sectorSize >>> 2;
    const iv = this.ivs(count, tweakOffset);
    const chain = createDecipheriv(`aes-${this.bits}-cbc`, this.key, new Uint8Array(iv.buffer, iv.byteOffset, 16));
    chain.setAutoPadding(false);
    const out = asWords(chain.update(src));
    const c = asWords(src); // the ciphertext (a view, or a copy when misaligned); read before dst is written
    for (let s = 1; s < count; s++) {
      const base = s * sw;
      for (let k = 0; k < 4; k++) out[base + k] ^= c[base - 4 + k] ^ iv[s * 4 + k];
    }
    if (this.tweakEnc) {
      const keys = this.sectorKeys(count, tweakOffset);
      for (let s = 0; s < count; s++) {
        const base = s * sw;
        diffuserBDecrypt(out, base, sw);
        diffuserADecrypt(out, base, sw);
        for (let i = 0; i < sw; i++) out[base + i] ^= keys[s * 8 + (i & 7)];
      }
    }
    dst.set(new Uint8Array(out.buffer, out.byteOffset, src.length));
  }

  encrypt(data: Uint8Array, tweakOffset: number): void {
    const count = data.length / this.sectorSize;
    const sw = this.sectorSize >>> 2;
    const { w, commit } = words(data);
    if (this.tweakEnc) {
      const keys = this.sectorKeys(count, tweakOffset);
      for (let s = 0; s < count; s++) {
        const base = s * sw;
        for (let i = 0; i < sw; i++) w[base + i] ^= keys[s * 8 + (i & 7)];
        diffuserAEncrypt(w, base, sw);
        diffuserBEncrypt(w, base, sw);
      }
      commit();
    }
    const ivBytes = this.ivEnc.update(le128Blocks(count, tweakOffset, this.sectorSize));
    for (let s = 0; s < count; s++) {
      const c = createCipheriv(`aes-${this.bits}-cbc`, this.key, ivBytes.subarray(s * 16, s * 16 + 16));
      c.setAutoPadding(false);
      const at = s * this.sectorSize;
      data.set(c.update(data.subarray(at, at + this.sectorSize)), at);
    }
  }
}

/** Makes the sector cipher for an encryption method code and the decrypted FVEK key bytes. */
export function createSectorCipher(method: number, fvek: Uint8Array, sectorSize: number): SectorCipher | undefined {
  switch (method) {
    case 0x8000: return fvek.length >= 48 ? new CbcCipher(128, fvek.subarray(0, 16), sectorSize, fvek.subarray(32, 48)) : undefined;
    case 0x8001: return fvek.length >= 64 ? new CbcCipher(256, fvek.subarray(0, 32), sectorSize, fvek.subarray(32, 64)) : undefined;
    case 0x8002: return fvek.length >= 16 ? new CbcCipher(128, fvek, sectorSize) : undefined;
    case 0x8003: return fvek.length >= 32 ? new CbcCipher(256, fvek, sectorSize) : undefined;
    case 0x8004: return fvek.length >= 32 ? new XtsCipher(fvek.subarray(0, 32), sectorSize) : undefined;
    case 0x8005: return fvek.length >= 64 ? new XtsCipher(fvek.subarray(0, 64), sectorSize) : undefined;
    default: return undefined;
  }
}
