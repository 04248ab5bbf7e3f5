/**
 * The key stretch through the optional native addon (native/stretch.c: the
 * SHA-256 block function of the OpenSSL inside Node.js, on the CPU's SHA
 * extensions where present): ~0.1 s an unlock against ~0.5 s for the
 * WebAssembly loop (packages/bitlocker/README.md, "Performance").
 *
 * Built by scripts/build-native.sh at install time when a C compiler and
 * Node's headers are there; absent (or disabled with COLDFIX_NO_NATIVE=1),
 * callers fall back to WebAssembly with identical results.
 */
import { createRequire } from 'node:module';

interface NativeStretch {
  stretch(initialHash: Uint8Array, salt: Uint8Array, rounds: number): Uint8Array;
}

/** Where scripts/build-native.sh puts the addon, relative to src/codec and dist/codec alike. */
export const NATIVE_STRETCH_PATH = '../../native/build/coldfix_stretch.node';

let addon: NativeStretch | null | undefined;

/** The addon, or null when it was not built, does not load here, or COLDFIX_NO_NATIVE is set. */
export function nativeStretchAddon(): NativeStretch | null {
  if (addon === undefined) {
    try {
      addon = process.env.COLDFIX_NO_NATIVE ? null : (createRequire(import.meta.url)(NATIVE_STRETCH_PATH) as NativeStretch);
    } catch {
      addon = null;
    }
  }
  return addon;
}

/** The stretch in native code; null when the addon is unavailable. Same contract as `stretchKey`. */
export function stretchKeyNative(initialHash: Uint8Array, salt: Uint8Array, rounds: number): Uint8Array | null {
  const native = nativeStretchAddon();
  if (!native) return null;
  if (initialHash.length !== 32 || salt.length !== 16) throw new RangeError('stretchKey needs a 32-byte hash and a 16-byte salt');
  if (rounds < 1 || rounds > 0xffffffff) throw new RangeError('rounds out of range');
  // The addon takes plain Uint8Arrays (a Buffer is one); copies keep callers' views untouched.
  return native.stretch(new Uint8Array(initialHash), new Uint8Array(salt), rounds);
}
