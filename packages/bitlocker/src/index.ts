/**
 * @coldfix/bitlocker: BitLocker (FVE) metadata, unlock and sector crypto;
 * a plaintext ByteSource over an encrypted one, readable and writable.
 */
import { isBitLockerHeader } from './layout/volume-header.js';
import { readFveMetadata } from './metadata.js';
import { buildInfo, type BitLockerInfo } from './info.js';
import type { ByteSource } from '@coldfix/io';

export type { BitLockerInfo, BitLockerProtector, ProtectorType } from './info.js';
export type { BitLockerVolume } from './volume.js';
export type { KeyMaterial } from './unlock.js';
export { unlockBitLocker } from './unlock.js';
export { parseRecoveryPassword, looksLikeRecoveryPassword } from './codec/recovery-password.js';
export { parseBekFile, type StartupKey } from './bek.js';
export { stretchKey, STRETCH_ROUNDS } from './codec/stretch.js';
export { createSectorCipher, type SectorCipher } from './codec/sector-cipher.js';

/** True if the first sector (≥ 512 bytes) of a volume is a BitLocker header (Vista, 7+, To Go). Never throws. */
export function isBitLocker(firstSector: Uint8Array): boolean {
  return isBitLockerHeader(firstSector);
}

/**
 * Reads the volume header and FVE metadata (no key needed).
 * @throws CorruptError BITLOCKER_NOT_FVE / BITLOCKER_NO_METADATA
 */
export async function readBitLockerInfo(source: ByteSource): Promise<BitLockerInfo> {
  return buildInfo(await readFveMetadata(source), source.size);
}
/** The two stretch implementations, for bench/ (stretchKey picks WebAssembly when available). */
export { stretchKeyJs } from './codec/sha256-stretch.js';
export { stretchKeyWasm } from './codec/sha256-stretch-wasm.js';
export { stretchKeyNative } from './codec/sha256-stretch-native.js';
