/**
 * LFS restart area (RESTART_AREA), at `restartAreaOffset` of a restart page.
 * Sources: libfsntfs $LogFile document (restart area), ntfs3 fslog.c
 * `struct RESTART_AREA`, ntfs-3g ntfsrecover.h. `fileSize` is the usable log
 * size (ntfs3 `l_size`); `seqNumberBits` how many high LSN bits hold the
 * wrap count, the rest being the byte offset divided by 8.
 */
import { defineStruct } from '@coldfix/io';

export const RestartAreaStruct = defineStruct('RestartArea', 48, {
  currentLsn: { offset: 0, type: 'u64le' },
  logClients: { offset: 8, type: 'u16le' },
  clientFreeList: { offset: 10, type: 'u16le' },
  clientInUseList: { offset: 12, type: 'u16le' },
  flags: { offset: 14, type: 'u16le' },
  seqNumberBits: { offset: 16, type: 'u32le' },
  restartAreaLength: { offset: 20, type: 'u16le' },
  clientArrayOffset: { offset: 22, type: 'u16le' },
  fileSize: { offset: 24, type: 'u64le' },
  lastLsnDataLength: { offset: 32, type: 'u32le' },
  logRecordHeaderLength: { offset: 36, type: 'u16le' },
  logPageDataOffset: { offset: 38, type: 'u16le' },
  restartLogOpenCount: { offset: 40, type: 'u32le' },
});

/** Flag bits of `flags`. */
export const RestartAreaFlag = { singlePageIo: 0x0001, volumeIsClean: 0x0002 } as const;
export const LFS_NO_CLIENT = 0xffff;
