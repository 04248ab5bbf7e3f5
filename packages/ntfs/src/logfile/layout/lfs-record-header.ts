/**
 * LFS log record header (LFS_RECORD_HDR, 0x30 bytes), followed by
 * `clientDataLength` bytes of client data. Sources: libfsntfs $LogFile
 * document (log record header), ntfs3 fslog.c `struct LFS_RECORD_HDR`,
 * ntfs-3g ntfsrecover.h `LOG_RECORD`.
 */
import { defineStruct } from '@coldfix/io';

export const LfsRecordHeaderStruct = defineStruct('LfsRecordHeader', 48, {
  thisLsn: { offset: 0, type: 'u64le' },
  clientPreviousLsn: { offset: 8, type: 'u64le' },
  clientUndoNextLsn: { offset: 16, type: 'u64le' },
  clientDataLength: { offset: 24, type: 'u32le' },
  seqNumber: { offset: 28, type: 'u16le' },
  clientIndex: { offset: 30, type: 'u16le' },
  recordType: { offset: 32, type: 'u32le' },
  transactionId: { offset: 36, type: 'u32le' },
  flags: { offset: 40, type: 'u16le' },
});

export const LfsRecordType = { clientRecord: 1, clientRestart: 2 } as const;
/** The record continues on following pages. */
export const LOG_RECORD_MULTI_PAGE = 0x1;
