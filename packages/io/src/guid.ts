/**
 * GUIDs: Microsoft's mixed-endian layout (Data1-3 little-endian, Data4 as bytes)
 * is the default; `littleEndianFields = false` reads all fields big-endian
 * (RFC 4122 byte order, as the VHD format stores its unique IDs).
 */
export function formatGuid(bytes: Uint8Array, littleEndianFields = true): string {
  const hex = (i: number) => bytes[i].toString(16).padStart(2, '0');
  const order = littleEndianFields
    ? [3, 2, 1, 0, -1, 5, 4, -1, 7, 6, -1, 8, 9, -1, 10, 11, 12, 13, 14, 15]
    : [0, 1, 2, 3, -1, 4, 5, -1, 6, 7, -1, 8, 9, -1, 10, 11, 12, 13, 14, 15];
  return order.map((i) => (i < 0 ? '-' : hex(i))).join('');
}

export function parseGuid(text: string, littleEndianFields = true): Uint8Array {
  const clean = text.replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(clean)) throw new Error(`not a GUID: ${JSON.stringify(text)}`);
  const be = Uint8Array.from(clean.match(/../g)!.map((h) => parseInt(h, 16)));
  if (!littleEndianFields) return be;
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  return Uint8Array.from(order.map((i) => be[i]));
}

export const NULL_GUID = '00000000-0000-0000-0000-000000000000';
