/**
 * VHDX log structures: the entry header (first 64 bytes of an entry's first
 * 4 KiB descriptor sector), the zero and data descriptors (32 bytes each,
 * 126 in the first sector, 128 in each further one), and the data sector
 * (4 KiB: the update's bytes 8..4091 between two halves of the sequence number;
 * bytes 0..7 and 4092..4095 are kept in its descriptor).
 *
 * References: MS-VHDX §2.3.1 "Log Entry" (§2.3.1.1–§2.3.1.4); libyal libvhdi
 * VHDX format §5.
 */
import { defineStruct } from '@coldfix/io';

export const VHDX_LOG_SECTOR = 4096;
export const VHDX_LOG_ENTRY_SIGNATURE = 'loge';
export const VHDX_LOG_ENTRY_HEADER_SIZE = 64;
export const VHDX_LOG_DESCRIPTOR_SIZE = 32;
export const VHDX_ZERO_DESCRIPTOR_SIGNATURE = 'zero';
export const VHDX_DATA_DESCRIPTOR_SIGNATURE = 'desc';
export const VHDX_DATA_SECTOR_SIGNATURE = 'data';

export const VhdxLogEntryHeaderStruct = defineStruct('VhdxLogEntryHeader', VHDX_LOG_ENTRY_HEADER_SIZE, {
  signature: { offset: 0, type: 'ascii', size: 4 },
  /** CRC-32C over EntryLength bytes with this field zero. */
  checksum: { offset: 4, type: 'u32le' },
  /** Bytes, multiple of 4 KiB. */
  entryLength: { offset: 8, type: 'u32le' },
  /** Offset in the log of the first entry of the sequence ending here. */
  tail: { offset: 12, type: 'u32le' },
  sequenceNumber: { offset: 16, type: 'u64le' },
  descriptorCount: { offset: 24, type: 'u32le' },
  reserved: { offset: 28, type: 'u32le' },
  logGuid: { offset: 32, type: 'guid' },
  /** The file was at least this large when the entry was written (a smaller file was truncated). */
  flushedFileOffset: { offset: 48, type: 'u64le' },
  /** Every allocated structure fits below this size. */
  lastFileOffset: { offset: 56, type: 'u64le' },
});

/** Both descriptor kinds share this frame; `signature` tells which ("zero" or "desc"). */
export const VhdxLogDescriptorStruct = defineStruct('VhdxLogDescriptor', VHDX_LOG_DESCRIPTOR_SIZE, {
  signature: { offset: 0, type: 'ascii', size: 4 },
  /** Zero descriptor: reserved. Data descriptor: TrailingBytes (the update's last 4 bytes). */
  trailingBytes: { offset: 4, type: 'bytes', size: 4 },
  /** Zero descriptor: ZeroLength (bytes). Data descriptor: LeadingBytes (the update's first 8 bytes). */
  leadingBytesOrZeroLength: { offset: 8, type: 'bytes', size: 8 },
  /** Multiple of 4 KiB. */
  fileOffset: { offset: 16, type: 'u64le' },
  sequenceNumber: { offset: 24, type: 'u64le' },
});

export const VhdxLogDataSectorStruct = defineStruct('VhdxLogDataSector', VHDX_LOG_SECTOR, {
  signature: { offset: 0, type: 'ascii', size: 4 },
  sequenceHigh: { offset: 4, type: 'u32le' },
  data: { offset: 8, type: 'bytes', size: 4084 },
  sequenceLow: { offset: 4092, type: 'u32le' },
});
