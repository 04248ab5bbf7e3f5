/**
 * COLLATION_FILE_NAME for $I30 keys, over the write side's name form (UTF-16
 * code-unit arrays, as stored in the keys). The rule itself lives once, in the
 * reader's codec/upcase.ts (UpcaseTable: code units through the volume's
 * $UpCase, shorter name first on a common prefix; raw units break case-only
 * ties, as ntfs-3g ntfs_names_full_collate does); these are thin adapters.
 */
import { viewOf } from '@coldfix/io';
import { UpcaseTable } from '../codec/upcase.js';

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

/** One UpcaseTable per $UpCase array (RecordStore.upcase() returns the same array for a volume). */
const tables = new WeakMap<Uint16Array, UpcaseTable>();

function tableOf(upcase: Uint16Array): UpcaseTable {
  let table = tables.get(upcase);
  if (!table) {
    // A table shorter than 65536 units maps the rest to themselves (as this module always did).
    let full = upcase;
    if (upcase.length < 65536) {
      full = new Uint16Array(65536);
      for (let i = 0; i < full.length; i++) full[i] = i < upcase.length ? upcase[i] : i;
    }
    table = new UpcaseTable(full);
    tables.set(upcase, table);
  }
  return table;
}

/** The code units as a string (a loop, not a spread: names from callers are not bounded to 255 units). */
function textOf(units: Uint16Array): string {
  let s = '';
  for (let i = 0; i < units.length; i++) s += String.fromCharCode(units[i]);
  return s;
}

/**
 * Compares two names through `upcase` (a 65536-entry table); returns <0, 0, >0. Case is ignored.
 * The same rule as UpcaseTable.compareIgnoreCase (unit by unit through the table, then the shorter
 * first), applied to the code units directly: building two strings per comparison cost a repair's
 * index checks ~10 ms. A table shorter than 65536 units maps the rest to themselves.
 */
export function compareNamesIgnoreCase(a: Uint16Array, b: Uint16Array, upcase: Uint16Array): number {
  const n = Math.min(a.length, b.length);
  const size = upcase.length;
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    const d = (x < size ? upcase[x] : x) - (y < size ? upcase[y] : y);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Full collation: ignoring case first, then exact code units (only the sign is meaningful). */
export function compareNames(a: Uint16Array, b: Uint16Array, upcase: Uint16Array): number {
  return tableOf(upcase).collate(textOf(a), textOf(b));
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
