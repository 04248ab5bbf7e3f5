/**
 * FVE metadata entry ("datum" in dislocker), 8-byte header then a value whose
 * layout depends on the value type; some values nest further entries.
 *
 * References: libbde format doc §4 "FVE metadata entry" and §4.x value types;
 * dislocker `src/metadata/datums.h` (names).
 *
 *   offset size  field
 *   0      2     entry size (bytes, including this header)
 *   2      2     entry type
 *   4      2     value type
 *   6      2     version (1)
 */
import { defineStruct } from '@coldfix/io';

export const MetadataEntryHeader = defineStruct('FveMetadataEntryHeader', 8, {
  size: { offset: 0, type: 'u16le' },
  entryType: { offset: 2, type: 'u16le' },
  valueType: { offset: 4, type: 'u16le' },
  version: { offset: 6, type: 'u16le' },
});

export const EntryType = {
  property: 0x0000,
  vmk: 0x0002,
  fvek: 0x0003,
  validation: 0x0004,
  startupKey: 0x0006,
  description: 0x0007,
  fvekBackup: 0x000b,
  volumeHeaderBlock: 0x000f,
} as const;

export const ValueType = {
  erased: 0x0000,
  key: 0x0001,
  unicodeString: 0x0002,
  stretchKey: 0x0003,
  useKey: 0x0004,
  aesCcmEncryptedKey: 0x0005,
  tpmEncodedKey: 0x0006,
  validation: 0x0007,
  volumeMasterKey: 0x0008,
  externalKey: 0x0009,
  update: 0x000a,
  error: 0x000b,
  offsetAndSize: 0x000f,
} as const;

/**
 * Bytes of fixed value header before nested entries, per value type that nests
 * (libbde §4): stretch key = method u32 + salt 16; use key = method u32;
 * VMK = GUID 16 + FILETIME 8 + unknown u16 + protection type u16;
 * external key = GUID 16 + FILETIME 8.
 */
export const NESTED_VALUE_PREFIX: Partial<Record<number, number>> = {
  [ValueType.stretchKey]: 20,
  [ValueType.useKey]: 4,
  [ValueType.volumeMasterKey]: 28,
  [ValueType.externalKey]: 24,
};

/** VMK protection types (libbde "key protection type"; dislocker `VMK protection`). */
export const ProtectionType = {
  0x0000: 'clear-key',
  0x0100: 'tpm',
  0x0200: 'startup-key',
  0x0500: 'tpm-pin',
  0x0800: 'recovery-password',
  // Bits: 0x0100 TPM, 0x0200 startup key, 0x0400 PIN; so TPM+key = 0x0300, TPM+PIN+key = 0x0700.
  0x0300: 'tpm-startup-key',
  0x0700: 'tpm-pin-startup-key',
  0x2000: 'password',
} as const satisfies Record<number, string>;
