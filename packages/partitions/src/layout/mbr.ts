/**
 * Master Boot Record and the Extended Boot Record (same layout).
 *
 * References: UEFI Specification 2.10 §5.2.1 "Legacy Master Boot Record",
 * Tables 5.1 and 5.2; libyal libvsmbr "Master Boot Record (MBR) format" §2-3.
 *
 *   0      440        444  446                                510  512
 *   | boot code | disk sig | ?? | 4 × 16-byte partition entries | 55 AA |
 */
import { defineStruct } from '@coldfix/io';

/** Size of an MBR / EBR in bytes (independent of the logical sector size). */
export const MBR_SIZE = 512;
/** Offset of the first partition entry. */
export const MBR_ENTRIES_OFFSET = 446;
/** Size of one partition entry. */
export const MBR_ENTRY_SIZE = 16;
/** Bytes 510-511: 0x55 0xAA (read as little-endian 0xAA55). */
export const MBR_BOOT_SIGNATURE = 0xaa55;

export const MasterBootRecord = defineStruct('MasterBootRecord', MBR_SIZE, {
  bootCode: { offset: 0, type: 'bytes', size: 440 },
  /** Windows "disk signature", UEFI "UniqueMBRDiskSignature". */
  uniqueMbrDiskSignature: { offset: 440, type: 'u32le' },
  /** UEFI: "Unknown"; Windows writes 0 (some tools: 0x5A5A copy-protect marker). */
  unknown: { offset: 444, type: 'u16le' },
  partitionRecords: { offset: MBR_ENTRIES_OFFSET, type: 'bytes', size: 4 * MBR_ENTRY_SIZE },
  signature: { offset: 510, type: 'u16le' },
});

/** One 16-byte partition record (UEFI Table 5.2). LBAs are in logical sectors. */
export const MbrPartitionRecord = defineStruct('MbrPartitionRecord', MBR_ENTRY_SIZE, {
  /** 0x80 = active ("bootable"), 0x00 = inactive; anything else is invalid. */
  bootIndicator: { offset: 0, type: 'u8' },
  startingChs: { offset: 1, type: 'bytes', size: 3 },
  /** Partition type ("OSType", "system ID"); 0 = unused slot. */
  osType: { offset: 4, type: 'u8' },
  endingChs: { offset: 5, type: 'bytes', size: 3 },
  startingLba: { offset: 8, type: 'u32le' },
  sizeInLba: { offset: 12, type: 'u32le' },
});
