/**
 * MFT entry ("FILE record") header, NTFS 3.1 (libfsntfs "MFT entry header";
 * ntfs-3g layout.h MFT_RECORD).
 *
 *   0x00 "FILE" | usa offset | usa count | LSN | sequence | link count |
 *   first attribute offset | flags | used size | allocated size | base ref |
 *   next attribute id | (3.1) pad, record number | update sequence array ...
 */
import { defineStruct, type StructValue } from '@coldfix/io';

export const FileRecordHeaderStruct = defineStruct('FileRecordHeader', 0x30, {
  signature: { offset: 0x00, type: 'ascii', size: 4 },
  usaOffset: { offset: 0x04, type: 'u16le' },
  usaCount: { offset: 0x06, type: 'u16le' },
  lsn: { offset: 0x08, type: 'u64le' },
  sequence: { offset: 0x10, type: 'u16le' },
  linkCount: { offset: 0x12, type: 'u16le' },
  firstAttributeOffset: { offset: 0x14, type: 'u16le' },
  flags: { offset: 0x16, type: 'u16le' },
  bytesInUse: { offset: 0x18, type: 'u32le' },
  bytesAllocated: { offset: 0x1c, type: 'u32le' },
  baseRecordReference: { offset: 0x20, type: 'bytes', size: 8 },
  nextAttributeId: { offset: 0x28, type: 'u16le' },
  reserved: { offset: 0x2a, type: 'u16le' },
  recordNumber: { offset: 0x2c, type: 'u32le' },
});
export type FileRecordHeaderFields = StructValue<typeof FileRecordHeaderStruct.fields>;

export const FileRecordFlag = {
  inUse: 0x1,
  directory: 0x2,
  /** Set on $Extend sub-files ($Quota, $ObjId, $Reparse...). */
  extend: 0x4,
  viewIndex: 0x8,
} as const;
