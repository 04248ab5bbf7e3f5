/**
 * LFS record page header (RECORD_PAGE_HEADER), magic "RCRD". Sources:
 * libfsntfs $LogFile document (record page header), ntfs3 fslog.c
 * `struct RECORD_PAGE_HDR`, ntfs-3g ntfsrecover.h. The field at 8 is the
 * highest LSN in the page, except in a version 1.1 tail copy (pages 2-3) where
 * it is the file offset of the page's home; a version 2.0 "fast" copy
 * (pages 2-33) keeps its home offset at 0x3c (after a 9-entry fixup array).
 */
import { defineStruct } from '@coldfix/io';

export const RecordPageHeaderStruct = defineStruct('RecordPageHeader', 64, {
  magic: { offset: 0, type: 'ascii', size: 4 },
  usaOffset: { offset: 4, type: 'u16le' },
  usaCount: { offset: 6, type: 'u16le' },
  lastLsnOrFileOffset: { offset: 8, type: 'u64le' },
  flags: { offset: 16, type: 'u32le' },
  pageCount: { offset: 20, type: 'u16le' },
  pagePosition: { offset: 22, type: 'u16le' },
  nextRecordOffset: { offset: 24, type: 'u16le' },
  lastEndLsn: { offset: 32, type: 'u64le' },
  fastFileOffset: { offset: 60, type: 'u32le' },
});

/** The page holds the end of a log record. */
export const LOG_PAGE_LOG_RECORD_END = 0x1;
