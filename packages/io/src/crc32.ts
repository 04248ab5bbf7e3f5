/** CRC-32 (IEEE 802.3, reflected, as GPT uses) and CRC-32C (Castagnoli, as VHDX uses). */
function makeTable(polynomial: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? polynomial ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}
const ieee = makeTable(0xedb88320);
const castagnoli = makeTable(0x82f63b78);

function run(table: Uint32Array, bytes: Uint8Array, seed: number): number {
  let c = seed ^ 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
export const crc32 = (bytes: Uint8Array, seed = 0): number => run(ieee, bytes, seed);
export const crc32c = (bytes: Uint8Array, seed = 0): number => run(castagnoli, bytes, seed);
