import { describe, expect, it } from 'vitest';
import { crc32 } from '@coldfix/io';
import { GptHeader } from '../layout/gpt-header.js';
import { checkGptEntryArray, decodeGptEntries, decodeGptHeader, decodeGptName, GPT_LIMITS } from './gpt.js';

type HeaderFields = Parameters<typeof GptHeader.encode>[0];

/** A 512-byte block holding a header with a correct CRC unless `crc` is given. */
function header(fields: HeaderFields = {}, crc?: number): Uint8Array {
  const block = new Uint8Array(512);
  GptHeader.encode({
    signature: 'EFI PART', revision: 0x10000, headerSize: 92, myLba: 1n, alternateLba: 2047n,
    firstUsableLba: 34n, lastUsableLba: 2014n, diskGuid: '01234567-89ab-cdef-0123-456789abcdef',
    partitionEntryLba: 2n, numberOfPartitionEntries: 128, sizeOfPartitionEntry: 128, ...fields,
  }, block);
  const size = (fields.headerSize as number | undefined) ?? 92;
  new DataView(block.buffer).setUint32(16, crc ?? crc32(block.subarray(0, Math.min(size, 512))), true);
  return block;
}

describe('decodeGptHeader', () => {
  it('decodes a valid header', () => {
    const r = decodeGptHeader(header(), 1, 512);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.header).toMatchObject({ myLba: 1, alternateLba: 2047, partitionEntryLba: 2, numberOfPartitionEntries: 128, diskGuid: '01234567-89ab-cdef-0123-456789abcdef' });
  });
  it('names field, expected and actual CRC and the hex offset', () => {
    const r = decodeGptHeader(header({}, 0xdeadbeef), 1, 512);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problem).toMatchObject({ structure: 'header', field: 'headerCrc32', offset: 512, actual: '0xdeadbeef (stored)' });
      expect(r.problem.message).toMatch(/^GPT header at LBA 1 \(0x200\): headerCrc32 expected 0x[0-9a-f]{8} \(computed\), found 0xdeadbeef \(stored\)$/);
    }
  });
  it.each([
    ['signature', header({ signature: 'EFI PARX' })],
    ['headerSize', header({ headerSize: 91 })],
    ['headerSize', header({ headerSize: 513 })],
    ['myLba', header({ myLba: 5n })],
    ['sizeOfPartitionEntry', header({ sizeOfPartitionEntry: 100 })],
    ['firstUsableLba', header({ firstUsableLba: 3000n })],
  ])('rejects a bad %s', (field, block) => {
    const r = decodeGptHeader(block, 1, 512);
    expect(r.ok ? undefined : r.problem.field).toBe(field);
  });
  it.each([
    ['sizeOfPartitionEntry', header({ sizeOfPartitionEntry: 8192 })],
    ['numberOfPartitionEntries', header({ numberOfPartitionEntries: GPT_LIMITS.maxPartitionEntries + 1 })],
    ['numberOfPartitionEntries', header({ numberOfPartitionEntries: 65536, sizeOfPartitionEntry: 256 })],
    ['partitionEntryLba', header({ partitionEntryLba: 1n << 60n })],
  ])('absurd %s is a limit problem', (field, block) => {
    const r = decodeGptHeader(block, 1, 512);
    expect(r.ok ? undefined : [r.problem.field, r.problem.kind]).toEqual([field, 'limit']);
  });
  it('a short block is a problem, not a throw', () => {
    expect(decodeGptHeader(new Uint8Array(10), 1, 512).ok).toBe(false);
  });
});

describe('entry array', () => {
  it('checks the CRC and skips unused entries', () => {
    const array = new Uint8Array(4 * 128);
    array[128 * 2] = 1; // entry 3: a non-null type GUID
    new DataView(array.buffer).setBigUint64(128 * 2 + 32, 100n, true);
    new DataView(array.buffer).setBigUint64(128 * 2 + 40, 199n, true);
    const r = decodeGptHeader(header({ numberOfPartitionEntries: 4, partitionEntryArrayCrc32: crc32(array) }), 1, 512);
    if (!r.ok) throw new Error(r.problem.message);
    expect(checkGptEntryArray(array, r.header, 512)).toBeUndefined();
    expect(decodeGptEntries(array, r.header).map((e) => [e.index, e.startingLba, e.endingLba])).toEqual([[3, 100n, 199n]]);
    array[5] ^= 1;
    expect(checkGptEntryArray(array, r.header, 512)).toMatchObject({ structure: 'entries', field: 'partitionEntryArrayCrc32', offset: 1024 });
  });
});

describe('decodeGptName', () => {
  const utf16 = (s: string, fill = 0) => {
    const b = new Uint8Array(72).fill(fill);
    for (let i = 0; i < s.length; i++) new DataView(b.buffer).setUint16(i * 2, s.charCodeAt(i), true);
    return b;
  };
  it('stops at NUL', () => expect(decodeGptName(utf16('EFI'))).toBe('EFI'));
  it('0xFFFF fill → ""', () => expect(decodeGptName(new Uint8Array(72).fill(0xff))).toBe(''));
  it('name followed by 0xFF fill', () => expect(decodeGptName(utf16('BOOT', 0xff).fill(0xff, 8))).toBe('BOOT'));
  it('all 36 units, no terminator', () => expect(decodeGptName(utf16('x'.repeat(36)))).toBe('x'.repeat(36)));
  it('non-ASCII', () => expect(decodeGptName(utf16('Récupération ☃'))).toBe('Récupération ☃'));
});
