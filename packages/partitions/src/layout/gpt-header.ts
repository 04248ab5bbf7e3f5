/**
 * GPT header.
 *
 * References: UEFI Specification 2.10 §5.3.2 "GPT Header", Table 5.5;
 * libyal libvsgpt "GUID Partition Table (GPT) format" §3.
 * The header lives at LBA 1 (primary) and at the last LBA of the disk (backup);
 * `headerSize` bytes of it (normally 92) are covered by `headerCrc32`,
 * computed with that field set to zero.
 */
import { defineStruct } from '@coldfix/io';

export const GPT_SIGNATURE = 'EFI PART';
/** Revision 1.0, the only one defined. */
export const GPT_REVISION_1_0 = 0x00010000;
/** Minimum (and usual) header size. */
export const GPT_HEADER_MIN_SIZE = 92;

export const GptHeader = defineStruct('GptHeader', GPT_HEADER_MIN_SIZE, {
  signature: { offset: 0, type: 'ascii', size: 8 },
  revision: { offset: 8, type: 'u32le' },
  headerSize: { offset: 12, type: 'u32le' },
  headerCrc32: { offset: 16, type: 'u32le' },
  /** Must be zero. */
  reserved: { offset: 20, type: 'u32le' },
  /** LBA of this header. */
  myLba: { offset: 24, type: 'u64le' },
  /** LBA of the other header (backup for the primary, primary for the backup). */
  alternateLba: { offset: 32, type: 'u64le' },
  firstUsableLba: { offset: 40, type: 'u64le' },
  lastUsableLba: { offset: 48, type: 'u64le' },
  diskGuid: { offset: 56, type: 'guid' },
  partitionEntryLba: { offset: 72, type: 'u64le' },
  numberOfPartitionEntries: { offset: 80, type: 'u32le' },
  /** 128 × 2^n bytes. */
  sizeOfPartitionEntry: { offset: 84, type: 'u32le' },
  partitionEntryArrayCrc32: { offset: 88, type: 'u32le' },
});
/** Offset of `headerCrc32` inside the header (zeroed while computing the CRC). */
export const GPT_HEADER_CRC_OFFSET = 16;
