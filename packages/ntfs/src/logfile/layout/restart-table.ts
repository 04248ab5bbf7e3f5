/**
 * Restart table header (RESTART_TABLE, 0x18 bytes) that starts the open
 * attribute, dirty page and transaction tables dumped at a checkpoint; the
 * entries follow, each `entrySize` bytes, addressed by their byte offset from
 * the table start. An entry is in use when its first u32 is 0xFFFFFFFF.
 * Sources: ntfs3 fslog.c `struct RESTART_TABLE`, libfsntfs $LogFile document.
 */
import { defineStruct } from '@coldfix/io';

export const RestartTableStruct = defineStruct('RestartTable', 24, {
  entrySize: { offset: 0, type: 'u16le' },
  numberEntries: { offset: 2, type: 'u16le' },
  numberAllocated: { offset: 4, type: 'u16le' },
  freeGoal: { offset: 12, type: 'u32le' },
  firstFree: { offset: 16, type: 'u32le' },
  lastFree: { offset: 20, type: 'u32le' },
});
export const RESTART_ENTRY_ALLOCATED = 0xffffffff;
