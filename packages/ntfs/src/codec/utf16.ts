/**
 * UTF-16LE code units to a string, unit for unit (unpaired surrogates kept,
 * as NTFS names may hold them: no TextDecoder, which replaces them). One
 * string per call, not one per character (hot path of listings).
 */
const units: number[] = [];

/** The `count` UTF-16LE code units at `at` in `bytes` (the caller has checked they fit). */
export function decodeUtf16Units(bytes: Uint8Array, at: number, count: number): string {
  if (count === 0) return '';
  units.length = count;
  for (let i = 0; i < count; i++) units[i] = bytes[at + i * 2] | (bytes[at + i * 2 + 1] << 8);
  return String.fromCharCode.apply(null, units);
}
