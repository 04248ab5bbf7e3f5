/**
 * FVE metadata header (48 bytes, right after the block header at +64), the
 * start of the "dataset" of metadata entries.
 *
 * References: libbde format doc §3.2 "FVE metadata header"; dislocker
 * `bitlocker_dataset_t`. The same header starts a .BEK startup key file.
 *
 *   offset size  field
 *   0      4     metadata size (bytes, including this header)
 *   4      4     version (1)
 *   8      4     header size (48)
 *   12     4     metadata size copy
 *   16     16    volume identifier GUID
 *   32     4     next nonce counter
 *   36     2     encryption method (0x8000…0x8005, 0 when decrypted)
 *   38     2     unknown (often the method again)
 *   40     8     creation time (FILETIME)
 */
import { defineStruct } from '@coldfix/io';

export const FveMetadataHeader = defineStruct('FveMetadataHeader', 48, {
  metadataSize: { offset: 0, type: 'u32le' },
  version: { offset: 4, type: 'u32le' },
  headerSize: { offset: 8, type: 'u32le' },
  metadataSizeCopy: { offset: 12, type: 'u32le' },
  volumeIdentifier: { offset: 16, type: 'guid' },
  nextNonceCounter: { offset: 32, type: 'u32le' },
  encryptionMethod: { offset: 36, type: 'u16le' },
  unknown38: { offset: 38, type: 'u16le' },
  creationTime: { offset: 40, type: 'u64le' },
});

/** Encryption methods (libbde; dislocker `cipher_types`). */
export const EncryptionMethod = {
  0x0000: 'none',
  0x8000: 'aes-cbc-128-diffuser',
  0x8001: 'aes-cbc-256-diffuser',
  0x8002: 'aes-cbc-128',
  0x8003: 'aes-cbc-256',
  0x8004: 'aes-xts-128',
  0x8005: 'aes-xts-256',
} as const satisfies Record<number, string>;

export function methodName(code: number): string {
  return (EncryptionMethod as Record<number, string>)[code] ?? `unknown-0x${code.toString(16).padStart(4, '0')}`;
}

/** FILETIME (100 ns since 1601) → ISO 8601, or '' when zero/out of range. */
export function filetimeToIso(filetime: bigint): string {
  if (filetime === 0n) return '';
  const ms = Number(filetime / 10000n) - 11644473600000;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) || ms < -62135596800000 || ms > 253402300799999 ? '' : date.toISOString();
}
