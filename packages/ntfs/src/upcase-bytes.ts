/**
 * The raw $UpCase:$DATA (little-endian u16 per code unit) as a 65536-entry table, the same result
 * as UpcaseTable.fromBytes (codec/upcase.ts; short tables map the rest to themselves) by one block
 * copy on a little-endian host instead of a 65536-step loop: the loop cost ~3 ms a call cold
 * (not yet optimised) and a repair decoded the table up to seven times.
 */
import { UpcaseTable } from './codec/upcase.js';

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function decodeUpcase(bytes: Uint8Array): Uint16Array {
  if (!littleEndian) return UpcaseTable.fromBytes(bytes).table;
  const units = Math.min(65536, Math.floor(bytes.length / 2));
  const table = new Uint16Array(65536);
  // A private, aligned copy of the bytes, viewed as u16.
  table.set(new Uint16Array(bytes.slice(0, units * 2).buffer, 0, units));
  for (let i = units; i < 65536; i++) table[i] = i;
  return table;
}
