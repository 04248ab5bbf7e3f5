/**
 * .BEK external key files (startup keys, recovery key files, Azure Disk
 * Encryption key files): an FVE metadata header (48 bytes) followed by
 * entries; the external-key entry (value type 9) carries the protector GUID and
 * nests the 32-byte key (value type 1).
 *
 * References: libbde format doc §"BitLocker External Key (BEK) file";
 * dislocker `dislocker-bek` output (behaviour).
 */
import { CorruptError, isColdfixError } from '@coldfix/io';
import { decodeEntries, decodeExternalKeyValue, decodeKeyValue } from './codec/entries.js';
import { FveMetadataHeader } from './layout/fve-metadata-header.js';
import { ValueType } from './layout/metadata-entry.js';

export interface StartupKey {
  /** Protector GUID the key belongs to (lowercase). */
  guid: string;
  /** 32-byte key. */
  key: Uint8Array;
}

/** Decodes a .BEK file. Throws CorruptError BITLOCKER_BEK_INVALID (never includes key bytes). */
export function parseBekFile(bytes: Uint8Array, name = '.BEK file'): StartupKey {
  const fail = (why: string): never => {
    throw new CorruptError(`${name} is not a BitLocker external key file: ${why}`, { code: 'BITLOCKER_BEK_INVALID', layer: 'bitlocker', details: { name } });
  };
  if (bytes.length < 48 + 8 || bytes.length > 1 << 20) fail(`size ${bytes.length}`);
  try {
    const header = FveMetadataHeader.decode(bytes);
    if (header.headerSize !== 48 || header.metadataSize < 48 || header.metadataSize > bytes.length) fail('bad header');
    const entries = decodeEntries(bytes, 48, header.metadataSize);
    for (const entry of entries) {
      if (entry.valueType !== ValueType.externalKey) continue;
      const { guid } = decodeExternalKeyValue(entry);
      const keyEntry = entry.children.find((c) => c.valueType === ValueType.key);
      if (!keyEntry) continue;
      const { key } = decodeKeyValue(keyEntry);
      if (key.length < 32) fail('key shorter than 32 bytes');
      return { guid, key: new Uint8Array(key.subarray(0, 32)) };
    }
    return fail('no external key entry');
  } catch (error) {
    if (isColdfixError(error) && error.code === 'BITLOCKER_BEK_INVALID') throw error;
    if (isColdfixError(error)) return fail(error.code);
    throw error;
  }
}
