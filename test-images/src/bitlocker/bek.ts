/**
 * BitLocker External Key (.BEK) file (libbde format document, "BEK file"; Windows 10 sample
 * read with dislocker-bek): a 48-byte header like the FVE metadata header (size, version 1,
 * header size 48, size copy, the protector GUID, next nonce counter, method 0, FILETIME),
 * then one startup-key entry (type 6, value type 9 "external key": GUID, FILETIME, then
 * the properties "ExternalKey" string and a key entry with method 0x2002 and the 32-byte key).
 * cryptsetup requires the header size field to equal the file length and the header GUID to
 * equal the VMK's GUID.
 */
import { parseGuid } from '@coldfix/io';
import { concat, encodeEntry, EntryType, KeyMethod, keyEntry, stringEntry, u64, ValueType } from './entries.js';

export function encodeBekFile(protectorGuid: string, externalKey: Uint8Array, filetime: bigint): Uint8Array {
  const external = encodeEntry(
    EntryType.startupKey,
    ValueType.externalKey,
    1,
    concat([parseGuid(protectorGuid), u64(filetime), stringEntry(EntryType.property, 'ExternalKey'), keyEntry(KeyMethod.externalKey, externalKey)]),
  );
  const size = 48 + external.length;
  const header = new Uint8Array(48);
  const v = new DataView(header.buffer);
  v.setUint32(0, size, true);
  v.setUint32(4, 1, true);
  v.setUint32(8, 48, true);
  v.setUint32(12, size, true);
  header.set(parseGuid(protectorGuid), 16);
  v.setUint32(32, 1, true);
  v.setUint32(36, 0, true);
  v.setBigUint64(40, filetime, true);
  return concat([header, external]);
}
