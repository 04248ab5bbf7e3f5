/**
 * Pure MBR / EBR decoding: the four partition records of a 512-byte boot record.
 * References: UEFI 2.10 §5.2.1 Tables 5.1-5.2; libyal libvsmbr §2-3.
 */
import { MBR_BOOT_SIGNATURE, MBR_ENTRIES_OFFSET, MBR_ENTRY_SIZE, MasterBootRecord, MbrPartitionRecord } from '../layout/mbr.js';

export interface MbrRecord {
  /** 1-4. */
  slot: number;
  bootIndicator: number;
  osType: number;
  /** Logical sectors; absolute in the MBR, relative in an EBR. */
  startingLba: number;
  sizeInLba: number;
}

export interface DecodedBootRecord {
  signatureValid: boolean;
  diskSignature: number;
  records: MbrRecord[];
}

/** Decodes the 512-byte `sector` (MBR or EBR). Throws only if shorter than 512 bytes (CorruptError from defineStruct). */
export function decodeBootRecord(sector: Uint8Array): DecodedBootRecord {
  const mbr = MasterBootRecord.decode(sector);
  const records: MbrRecord[] = [];
  for (let i = 0; i < 4; i++) {
    const r = MbrPartitionRecord.decode(sector, MBR_ENTRIES_OFFSET + i * MBR_ENTRY_SIZE);
    records.push({ slot: i + 1, bootIndicator: r.bootIndicator, osType: r.osType, startingLba: r.startingLba, sizeInLba: r.sizeInLba });
  }
  return { signatureValid: mbr.signature === MBR_BOOT_SIGNATURE, diskSignature: mbr.uniqueMbrDiskSignature, records };
}

/** An unused slot: type 0 (UEFI: "OSType 0 = unused"); a zero-size slot holds nothing either (Linux skips it). */
export function isUnusedRecord(r: MbrRecord): boolean {
  return r.osType === 0 || r.sizeInLba === 0;
}
