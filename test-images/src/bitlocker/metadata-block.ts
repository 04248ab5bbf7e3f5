/**
 * One FVE metadata block (version 2, Windows 7 and later), as written three times.
 * Layout (libbde format document "FVE metadata block", dislocker metadata.priv.h,
 * cryptsetup lib/bitlk/bitlk.c; values checked against Windows 10 volumes):
 *
 * ```
 * +0x00  block header, 64 bytes
 *        0x00 "-FVE-FS-" | 0x08 u16 size in 16-byte units (block header + metadata, rounded up)
 *        0x0a u16 version 2 | 0x0c u16 current state | 0x0e u16 next state (4 = encrypted)
 *        0x10 u64 encrypted volume size (bytes) | 0x18 u32 conversion size (0)
 *        0x1c u32 number of volume-header sectors | 0x20 u64 x3 metadata block offsets
 *        0x38 u64 volume-header (backup) offset
 * +0x40  metadata header, 48 bytes
 *        0x00 u32 metadata size (header + entries) | 0x04 u32 version 1 | 0x08 u32 48
 *        0x0c u32 size copy | 0x10 GUID volume identifier | 0x20 u32 next nonce counter
 *        0x24 u16 encryption method | 0x26 u16 0 | 0x28 FILETIME creation time
 * +0x70  entries
 * +size*16  validation: u16 size | u16 version 2 | u32 CRC-32 of bytes [0, size*16)
 *           | AES-CCM entry (under the VMK) of a key entry {method 0x2005, SHA-256 of bytes [0, size*16)}
 * rest of the 64 KiB region: zeros
 * ```
 * dislocker picks the first copy whose CRC-32 matches; cryptsetup >= 2.7 also checks the
 * SHA-256 after unwrapping it with the VMK (2.6.1, installed here, does neither).
 */
import { createHash } from 'node:crypto';
import { crc32, parseGuid } from '@coldfix/io';
import { aesCcmEntry, concat, EntryType, KeyMethod, keyEntry } from './entries.js';
import { noRoom } from './errors.js';

export const METADATA_REGION_SIZE = 0x10000;

export interface MetadataBlockInput {
  encryptedVolumeSize: number;
  /** Current / next state; default 4 / 4 (encrypted). */
  state?: { current: number; next: number };
  volumeHeaderSectors: number;
  metadataOffsets: number[];
  volumeHeaderOffset: number;
  volumeGuid: string;
  nextNonceCounter: number;
  encryptionMethod: number;
  creationTime: bigint;
  entries: Uint8Array[];
  vmk: Uint8Array;
  /** Nonce for the validation's AES-CCM entry (unique under the VMK). */
  validationNonce: Uint8Array;
}

/** The 64 KiB metadata region content. Throws if the entries do not fit. */
export function encodeMetadataBlock(m: MetadataBlockInput): Uint8Array {
  const entries = concat(m.entries);
  const metadataSize = 48 + entries.length;
  const used = 64 + metadataSize;
  const sizeUnits = Math.ceil(used / 16);
  const validationAt = sizeUnits * 16;
  if (validationAt + 0x100 > METADATA_REGION_SIZE) throw noRoom('BLW_METADATA_SIZE', 'FVE metadata does not fit in 64 KiB');

  const block = new Uint8Array(METADATA_REGION_SIZE);
  const v = new DataView(block.buffer);
  block.set(Buffer.from('-FVE-FS-', 'ascii'), 0);
  v.setUint16(0x08, sizeUnits, true);
  v.setUint16(0x0a, 2, true);
  v.setUint16(0x0c, m.state?.current ?? 4, true); // 4 = encrypted
  v.setUint16(0x0e, m.state?.next ?? 4, true);
  v.setBigUint64(0x10, BigInt(m.encryptedVolumeSize), true);
  v.setUint32(0x18, 0, true);
  v.setUint32(0x1c, m.volumeHeaderSectors, true);
  for (let i = 0; i < 3; i++) v.setBigUint64(0x20 + i * 8, BigInt(m.metadataOffsets[i]), true);
  v.setBigUint64(0x38, BigInt(m.volumeHeaderOffset), true);

  v.setUint32(0x40, metadataSize, true);
  v.setUint32(0x44, 1, true);
  v.setUint32(0x48, 48, true);
  v.setUint32(0x4c, metadataSize, true);
  block.set(parseGuid(m.volumeGuid), 0x50);
  v.setUint32(0x60, m.nextNonceCounter, true);
  v.setUint16(0x64, m.encryptionMethod, true);
  v.setBigUint64(0x68, m.creationTime, true);
  block.set(entries, 0x70);

  const covered = block.subarray(0, validationAt);
  const sha = createHash('sha256').update(covered).digest();
  const hashEntry = aesCcmEntry(EntryType.property, m.vmk, m.validationNonce, keyEntry(KeyMethod.validationHash, sha, 0));
  const validationSize = 8 + hashEntry.length;
  v.setUint16(validationAt, validationSize, true);
  v.setUint16(validationAt + 2, 2, true);
  v.setUint32(validationAt + 4, crc32(covered), true);
  block.set(hashEntry, validationAt + 8);
  return block;
}
