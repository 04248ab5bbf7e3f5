/**
 * $LogFile restart page header (LFS RESTART_PAGE_HEADER), at offset 0 of each
 * of the two restart pages. Sources: libfsntfs "NTFS Log File ($LogFile)"
 * (restart page header), ntfs3 fslog.c `struct RESTART_HDR`, ntfs-3g
 * ntfsrecover.h `RESTART_PAGE_HEADER`. Magic "RSTR", or "CHKD" after chkdsk.
 */
import { defineStruct } from '@coldfix/io';

export const RestartPageHeaderStruct = defineStruct('RestartPageHeader', 30, {
  magic: { offset: 0, type: 'ascii', size: 4 },
  usaOffset: { offset: 4, type: 'u16le' },
  usaCount: { offset: 6, type: 'u16le' },
  chkdskLsn: { offset: 8, type: 'u64le' },
  systemPageSize: { offset: 16, type: 'u32le' },
  logPageSize: { offset: 20, type: 'u32le' },
  restartAreaOffset: { offset: 24, type: 'u16le' },
  minorVersion: { offset: 26, type: 'i16le' },
  majorVersion: { offset: 28, type: 'i16le' },
});
