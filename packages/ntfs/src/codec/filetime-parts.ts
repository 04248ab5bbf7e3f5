/**
 * FILETIME (MS-DTYP 2.3.3: 100-ns ticks since 1601-01-01 UTC) given as its two
 * 32-bit halves, formatted without BigInt or Date (hot path of listings).
 * Same output as filetimeToIso / filetimeToUnixSeconds (filetime.ts), which
 * remain the reference and the fallback outside years 1601..9999.
 *
 * Exactness: ticks = hi * 2^32 + lo can exceed 2^53, so the 7 fractional
 * digits are computed modulo 10^7 from the halves (2^32 mod 10^7 = 4967296),
 * and the whole seconds by a division whose rounding error (< 2^11 ticks of a
 * 2^64 value) is far below one second, then rounded to the exact integer.
 * Calendar: days-to-civil conversion (H. Hinnant, "chrono-Compatible Low-Level
 * Date Algorithms"), proleptic Gregorian as Date uses.
 */
import { filetimeToIso } from './filetime.js';

/** Seconds from 1601-01-01 to 1970-01-01. */
const EPOCH_SECONDS = 11644473600;
const TWO_32 = 4294967296;
const TWO_32_MOD_1E7 = 4967296;

/** FILETIME ticks modulo 10^7 (the 100-ns digits), exact. */
export function filetimeFraction(lo: number, hi: number): number {
  // Integer arithmetic only (a float `%` is a C call in V8): x mod 10^7 as x - floor(x / 10^7) * 10^7,
  // exact since x < 2^53 and a quotient cannot round across an integer from below.
  const hiMod = hi - Math.floor(hi / 1e7) * 1e7;
  const x = hiMod * TWO_32_MOD_1E7 + lo;
  return x - Math.floor(x / 1e7) * 1e7;
}

/** Whole seconds since 1601 (floored), exact for every u64. */
function seconds1601(lo: number, hi: number, fraction: number): number {
  return Math.round((hi * TWO_32 + (lo - fraction)) / 1e7);
}

/** Seconds since the Unix epoch (floored), as `filetimeToUnixSeconds` gives. */
export function filetimePartsToUnixSeconds(lo: number, hi: number): number {
  return seconds1601(lo, hi, filetimeFraction(lo, hi)) - EPOCH_SECONDS;
}

const TWO_DIGITS: string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));
const FRACTION_PAD = ['', '0', '00', '000', '0000', '00000', '000000', '0000000'];

/** The date part ("YYYY-MM-DDT") of the last day formatted: timestamps of one volume cluster on few days. */
let lastDay = NaN;
let lastDayText = '';

/** The last time formatted, and its text. */
let lastLo = -1;
let lastHi = -1;
let lastText = '';

/**
 * `2023-06-23T02:16:17.9724723Z` from the FILETIME halves (unsigned 32-bit
 * `lo` and `hi`); identical to `filetimeToIso`.
 */
export function filetimePartsToIso(lo: number, hi: number): string {
  // The times of one record (and of its $FILE_NAMEs) are often equal.
  if (lo === lastLo && hi === lastHi) return lastText;
  const fraction = filetimeFraction(lo, hi);
  const unix = seconds1601(lo, hi, fraction) - EPOCH_SECONDS;
  const day = Math.floor(unix / 86400);
  if (day !== lastDay) {
    // Hinnant's civil_from_days, days since 1970-01-01.
    const z = day + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const m = mp < 10 ? mp + 3 : mp - 9;
    const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    if (y > 9999) return filetimeToIso((BigInt(hi) << 32n) | BigInt(lo));
    lastDay = day;
    lastDayText = `${y}-${TWO_DIGITS[m]}-${TWO_DIGITS[d]}T`;
  }
  const s = unix - day * 86400;
  const h = Math.floor(s / 3600);
  const mi = Math.floor((s - h * 3600) / 60);
  const f = String(fraction);
  lastLo = lo;
  lastHi = hi;
  lastText = `${lastDayText}${TWO_DIGITS[h]}:${TWO_DIGITS[mi]}:${TWO_DIGITS[s - h * 3600 - mi * 60]}.${FRACTION_PAD[7 - f.length]}${f}Z`;
  return lastText;
}

/** "YYYY-MM-DDT" as bytes for the last day written (see lastDay). */
const dayBytes = new Uint8Array(11);
let dayBytesDay = NaN;

/**
 * Writes filetimePartsToIso(lo, hi) as ASCII into `out` at `at` (28 bytes;
 * `out` must have room) and returns the position after it. No allocation
 * for years up to 9999.
 */
export function writeFiletimeIso(lo: number, hi: number, out: Uint8Array, at: number): number {
  let fraction = filetimeFraction(lo, hi);
  const unix = seconds1601(lo, hi, fraction) - EPOCH_SECONDS;
  const day = Math.floor(unix / 86400);
  if (day !== dayBytesDay) {
    const text = filetimePartsToIso(lo, hi);
    if (text.length !== 28) {
      for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
      return at + text.length;
    }
    for (let i = 0; i < 11; i++) dayBytes[i] = text.charCodeAt(i);
    dayBytesDay = day;
  }
  for (let i = 0; i < 11; i++) out[at + i] = dayBytes[i];
  let s = (unix - day * 86400) | 0;
  const h = (s / 3600) | 0;
  s -= h * 3600;
  const m = (s / 60) | 0;
  s -= m * 60;
  let q = (h / 10) | 0;
  out[at + 11] = 48 + q;
  out[at + 12] = 48 + h - q * 10;
  out[at + 13] = 58;
  q = (m / 10) | 0;
  out[at + 14] = 48 + q;
  out[at + 15] = 48 + m - q * 10;
  out[at + 16] = 58;
  q = (s / 10) | 0;
  out[at + 17] = 48 + q;
  out[at + 18] = 48 + s - q * 10;
  out[at + 19] = 46;
  let f = fraction | 0;
  for (let i = 26; i > 19; i--) {
    q = (f / 10) | 0;
    out[at + i] = 48 + f - q * 10;
    f = q;
  }
  out[at + 27] = 90;
  return at + 28;
}
