/**
 * Dirty page table entries, followed by `lcnsToFollow` LCNs (64-bit each).
 * Version 0 (NTFS restart area 0.x): 0x2c-byte head with 32-bit halves and the
 * first LCN inside it; version 1: 0x20-byte head. Sources: ntfs3 fslog.c
 * `DIR_PAGE_ENTRY_32` / `DIR_PAGE_ENTRY`.
 */
import { defineStruct } from '@coldfix/io';

export const DirtyPageEntryV0Struct = defineStruct('DirtyPageEntryV0', 36, {
  allocatedOrNextFree: { offset: 0, type: 'u32le' },
  targetAttribute: { offset: 4, type: 'u32le' },
  lengthOfTransfer: { offset: 8, type: 'u32le' },
  lcnsToFollow: { offset: 12, type: 'u32le' },
  vcn: { offset: 20, type: 'u64le' },
  oldestLsn: { offset: 28, type: 'u64le' },
});
export const DIRTY_PAGE_V0_LCNS_OFFSET = 36;

export const DirtyPageEntryV1Struct = defineStruct('DirtyPageEntryV1', 32, {
  allocatedOrNextFree: { offset: 0, type: 'u32le' },
  targetAttribute: { offset: 4, type: 'u32le' },
  lengthOfTransfer: { offset: 8, type: 'u32le' },
  lcnsToFollow: { offset: 12, type: 'u32le' },
  vcn: { offset: 16, type: 'u64le' },
  oldestLsn: { offset: 24, type: 'u64le' },
});
export const DIRTY_PAGE_V1_LCNS_OFFSET = 32;
