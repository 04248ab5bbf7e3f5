/**
 * LFS client record (LOG_CLIENT_RECORD, 160 bytes), in the array at
 * `clientArrayOffset` of the restart area. Sources: libfsntfs $LogFile
 * document, ntfs3 fslog.c `struct CLIENT_REC`, ntfs-3g ntfsrecover.h.
 */
import { defineStruct } from '@coldfix/io';

export const LogClientRecordStruct = defineStruct('LogClientRecord', 160, {
  oldestLsn: { offset: 0, type: 'u64le' },
  clientRestartLsn: { offset: 8, type: 'u64le' },
  prevClient: { offset: 16, type: 'u16le' },
  nextClient: { offset: 18, type: 'u16le' },
  seqNumber: { offset: 20, type: 'u16le' },
  clientNameLength: { offset: 28, type: 'u32le' },
  clientName: { offset: 32, type: 'bytes', size: 128 },
});
