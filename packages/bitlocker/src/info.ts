/**
 * The public, JSON-safe description of a BitLocker volume (no secrets).
 *
 * References: libbde (states, methods, protection types); dissect.fve.
 */
import { decodeUnicodeValue, decodeVmkValue, type MetadataEntry } from './codec/entries.js';
import { FveState } from './layout/fve-block-header.js';
import { filetimeToIso, methodName } from './layout/fve-metadata-header.js';
import { EntryType, ProtectionType, ValueType } from './layout/metadata-entry.js';
import type { FveBlock, FveMetadata } from './metadata.js';

export type ProtectorType =
  | 'recovery-password' | 'password' | 'startup-key' | 'clear-key' | 'tpm' | 'tpm-pin' | 'tpm-startup-key' | 'tpm-pin-startup-key' | 'unknown';

export interface BitLockerProtector {
  /** Protector ("key ID") GUID, lowercase. */
  guid: string;
  type: ProtectorType;
  /** False for TPM-bound protectors: they need the machine's TPM. */
  usableOffline: boolean;
  /** ISO 8601 time the protector was last changed. */
  createdAt?: string;
  /** The protector's name as Windows stored it (e.g. "DiskPassword", "ExternalKey"). */
  description?: string;
}

export interface BitLockerInfo {
  version: 1 | 2;
  /** Volume GUID (the dataset identifier), lowercase. */
  volumeGuid: string;
  method: 'aes-cbc-128-diffuser' | 'aes-cbc-256-diffuser' | 'aes-cbc-128' | 'aes-cbc-256' | 'aes-xts-128' | 'aes-xts-256' | 'none' | string;
  /** 'encrypted' | 'decrypted' | 'encrypting' | 'decrypting' | 'suspended' | 'unknown-N'. */
  state: string;
  description: string;
  createdAt: string;
  /** Bytes the plaintext volume spans. */
  volumeSize: number;
  sectorSize: number;
  protectors: BitLockerProtector[];
  /** Byte offsets of the three FVE metadata blocks. */
  metadataOffsets: number[];
  anomalies: string[];
}

export function protectorTypeOf(protection: number): ProtectorType {
  return (ProtectionType as Record<number, ProtectorType>)[protection] ?? 'unknown';
}

export function describeProtector(entry: MetadataEntry): BitLockerProtector {
  const vmk = decodeVmkValue(entry);
  const type = protectorTypeOf(vmk.protection);
  const name = entry.children.find((c) => c.valueType === ValueType.unicodeString);
  const createdAt = filetimeToIso(vmk.modified);
  return {
    guid: vmk.guid,
    type,
    usableOffline: !type.startsWith('tpm') && type !== 'unknown',
    ...(createdAt ? { createdAt } : {}),
    ...(name ? { description: decodeUnicodeValue(name) } : {}),
  };
}

export function vmkEntries(block: FveBlock): MetadataEntry[] {
  return block.entries.filter((e) => e.entryType === EntryType.vmk && e.valueType === ValueType.volumeMasterKey);
}

/** Is the data area (or part of it) encrypted, and where does the encrypted part end? */
export function conversionState(block: FveBlock): { state: string; converting: boolean } {
  const { currentState, nextState } = block.header;
  if (currentState === FveState.decrypted) return { state: 'decrypted', converting: false };
  if (currentState === FveState.encrypted) return { state: 'encrypted', converting: false };
  if (currentState === FveState.switching || currentState === FveState.eowActivated || currentState === FveState.switchPaused) {
    return { state: nextState === FveState.decrypted ? 'decrypting' : 'encrypting', converting: true };
  }
  return { state: `unknown-${currentState}`, converting: true };
}

export function buildInfo(metadata: FveMetadata, sourceSize: number): BitLockerInfo {
  const block = metadata.blocks[0];
  const protectors = vmkEntries(block).map(describeProtector);
  const descriptionEntry = block.entries.find((e) => e.entryType === EntryType.description && e.valueType === ValueType.unicodeString);
  let { state } = conversionState(block);
  if (state === 'encrypted' && protectors.some((p) => p.type === 'clear-key')) state = 'suspended';
  const encryptedSize = Number(block.header.encryptedVolumeSize);
  const volumeSize = block.header.version === 2 && block.header.currentState === FveState.encrypted && Number.isSafeInteger(encryptedSize) && encryptedSize > 0
    ? encryptedSize
    : sourceSize;
  return {
    version: block.header.version === 1 ? 1 : 2,
    volumeGuid: block.dataset.volumeIdentifier,
    method: methodName(block.dataset.encryptionMethod),
    state,
    description: descriptionEntry ? decodeUnicodeValue(descriptionEntry) : '',
    createdAt: filetimeToIso(block.dataset.creationTime),
    volumeSize,
    sectorSize: metadata.volumeHeader.bytesPerSector,
    protectors,
    metadataOffsets: metadata.metadataOffsets,
    anomalies: [...metadata.anomalies],
  };
}
