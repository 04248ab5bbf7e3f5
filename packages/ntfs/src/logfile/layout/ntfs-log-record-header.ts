/**
 * NTFS client data header of an update record (NTFS_LOG_RECORD_HEADER / ntfs3
 * `struct LOG_REC_HDR`, 0x20 bytes), followed by `lcnsToFollow` 64-bit LCNs.
 * Offsets of redo/undo data are from the start of this header. Sources:
 * libfsntfs $LogFile document, ntfs3 fslog.c, ntfs-3g ntfsrecover.h (which
 * calls the field at 0x16 attribute_flags: 2 = acts on the MFT, 8 = on an
 * index block; it is the size of the target block in 512-byte units).
 */
import { defineStruct } from '@coldfix/io';

export const NtfsLogRecordHeaderStruct = defineStruct('NtfsLogRecordHeader', 32, {
  redoOperation: { offset: 0, type: 'u16le' },
  undoOperation: { offset: 2, type: 'u16le' },
  redoOffset: { offset: 4, type: 'u16le' },
  redoLength: { offset: 6, type: 'u16le' },
  undoOffset: { offset: 8, type: 'u16le' },
  undoLength: { offset: 10, type: 'u16le' },
  targetAttribute: { offset: 12, type: 'u16le' },
  lcnsToFollow: { offset: 14, type: 'u16le' },
  recordOffset: { offset: 16, type: 'u16le' },
  attributeOffset: { offset: 18, type: 'u16le' },
  clusterBlockOffset: { offset: 20, type: 'u16le' },
  targetBlockSize: { offset: 22, type: 'u16le' },
  targetVcn: { offset: 24, type: 'i64le' },
});
