/**
 * COLLATION_FILE_NAME for $I30 keys: names compared code unit by code unit
 * after mapping through the volume's $UpCase table, shorter name first on a
 * common prefix (ntfs-3g collate.c / unistr.c ntfs_names_full_collate, read
 * and re-derived). Case-only ties are broken case-sensitively, as ntfs-3g
 * does for its IGNORE_CASE then CASE_SENSITIVE passes.
 */
import { viewOf } from '@coldfix/io';

/** Name code units of a $FILE_NAME key (offset 0x40 count, 0x42 name). */
export function keyName(key: Uint8Array): Uint16Array {
  const count = key.length >= 0x42 ? key[0x40] : 0;
  const out = new Uint16Array(Math.min(count, (key.length - 0x42) >> 1));
  const v = viewOf(key);
  for (let i = 0; i < out.length; i++) out[i] = v.getUint16(0x42 + 2 * i, true);
  return out;
}

export function toUnits(name: string): Uint16Array {
  const out = new Uint16Array(name.length);
  for (let i = 0; i < name.length; i++) out[i] = name.charCodeAt(i);
  return out;
}

/** Compares two names through `upcase` (a 65536-entry table); returns <0, 0, >0. Case is ignored. */
export function compareNamesIgnoreCase(a: Uint16Array, b: Uint16Array, upcase: Uint16Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] < upcase.length ? upcase[a[i]] : a[i];
    const y = b[i] < upcase.length ? upcase[b[i]] : b[i];
    if (x !== y) return x - y;
  }
  return a.length - b.length;
}

/** Full collation: ignoring case first, then exact code units. */
export function compareNames(a: Uint16Array, b: Uint16Array, upcase: Uint16Array): number {
  const c = compareNamesIgnoreCase(a, b, upcase);
  if (c !== 0) return c;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function sameUnits(a: Uint16Array, b: Uint16Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** COLLATION_NTOFS_ULONGS ($ObjId:$O, $Reparse:$R): keys compared as little-endian 32-bit words in order, then by length. */
export function compareUlongs(a: Uint8Array, b: Uint8Array): number {
  const va = viewOf(a);
  const vb = viewOf(b);
  const n = Math.min(a.length, b.length) >> 2;
  for (let i = 0; i < n; i++) {
    const x = va.getUint32(4 * i, true);
    const y = vb.getUint32(4 * i, true);
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
