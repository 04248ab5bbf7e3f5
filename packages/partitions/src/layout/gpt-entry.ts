/**
 * GPT partition entry.
 *
 * References: UEFI Specification 2.10 §5.3.3 "GPT Partition Entry Array",
 * Table 5.6 (and Table 5.7 for attribute bits); libyal libvsgpt §4.
 * Entries are `sizeOfPartitionEntry` bytes apart (128 × 2^n); only the first
 * 128 bytes are defined, the rest is reserved.
 */
import { defineStruct } from '@coldfix/io';

export const GPT_ENTRY_MIN_SIZE = 128;
/** Partition name: 36 UTF-16LE code units. */
export const GPT_NAME_SIZE = 72;

export const GptPartitionEntry = defineStruct('GptPartitionEntry', GPT_ENTRY_MIN_SIZE, {
  /** All zero = unused entry. */
  partitionTypeGuid: { offset: 0, type: 'guid' },
  uniquePartitionGuid: { offset: 16, type: 'guid' },
  startingLba: { offset: 32, type: 'u64le' },
  /** Inclusive. */
  endingLba: { offset: 40, type: 'u64le' },
  /** Bit 0 required, bit 1 no block IO protocol, bit 2 legacy BIOS bootable, 48-63 type-specific. */
  attributes: { offset: 48, type: 'u64le' },
  partitionName: { offset: 56, type: 'bytes', size: GPT_NAME_SIZE },
});
