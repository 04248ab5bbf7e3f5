/**
 * NTFS client restart area (the checkpoint), the client data of an LFS
 * record of type 2 found at the client restart LSN. Version 0.x tables use
 * 32-bit-pointer entry layouts, 1.x 64-bit ones. Fields past 0x40 exist when
 * the record is long enough (dfir_ntfs NTFSRestartArea; ntfs3 `NTFS_RESTART`).
 */
import { defineStruct } from '@coldfix/io';

export const NtfsRestartAreaStruct = defineStruct('NtfsRestartArea', 64, {
  majorVersion: { offset: 0, type: 'u32le' },
  minorVersion: { offset: 4, type: 'u32le' },
  startOfCheckpointLsn: { offset: 8, type: 'u64le' },
  openAttributeTableLsn: { offset: 16, type: 'u64le' },
  attributeNamesLsn: { offset: 24, type: 'u64le' },
  dirtyPageTableLsn: { offset: 32, type: 'u64le' },
  transactionTableLsn: { offset: 40, type: 'u64le' },
  openAttributeTableLength: { offset: 48, type: 'u32le' },
  attributeNamesLength: { offset: 52, type: 'u32le' },
  dirtyPageTableLength: { offset: 56, type: 'u32le' },
  transactionTableLength: { offset: 60, type: 'u32le' },
});

/** The optional tail (present when the client data reaches 0x54 bytes or more). */
export const NtfsRestartAreaTailStruct = defineStruct('NtfsRestartAreaTail', 20, {
  usnJournalRestartOffset: { offset: 0, type: 'i64le' },
  lastLsn: { offset: 8, type: 'u64le' },
  bytesPerCluster: { offset: 16, type: 'u32le' },
});
export const NTFS_RESTART_AREA_TAIL_OFFSET = 64;
