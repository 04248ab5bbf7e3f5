/**
 * VHD dynamic disk header (1024 bytes, big-endian), at the footer's
 * `dataOffset` (usually 512), for dynamic and differencing disks.
 *
 * References: Microsoft VHD specification 1.0 (2006), "Dynamic Disk Header
 * Format"; libyal libvhdi format document §3; qemu block/vpc.c (VHDDynDiskHeader).
 */
import { defineStruct } from '@coldfix/io';

export const VHD_DYNAMIC_HEADER_SIZE = 1024;
export const VHD_DYNAMIC_HEADER_COOKIE = 'cxsparse';
export const VHD_DYNAMIC_HEADER_CHECKSUM_OFFSET = 36;
/** Offset and size of the parent Unicode name (UTF-16 big-endian, NUL-padded). */
export const VHD_PARENT_NAME_OFFSET = 64;
export const VHD_PARENT_NAME_SIZE = 512;
/** Eight 24-byte parent locator entries start here. */
export const VHD_PARENT_LOCATORS_OFFSET = 576;
export const VHD_PARENT_LOCATOR_COUNT = 8;

export const VhdDynamicHeaderStruct = defineStruct('VhdDynamicHeader', VHD_DYNAMIC_HEADER_SIZE, {
  cookie: { offset: 0, type: 'ascii', size: 8 },
  /** Unused, all ones. */
  dataOffset: { offset: 8, type: 'u64be' },
  /** Absolute byte offset of the block allocation table. */
  tableOffset: { offset: 16, type: 'u64be' },
  headerVersion: { offset: 24, type: 'u32be' },
  maxTableEntries: { offset: 28, type: 'u32be' },
  /** Data bytes per block (bitmap excluded); a power of two, default 2 MiB. */
  blockSize: { offset: 32, type: 'u32be' },
  checksum: { offset: 36, type: 'u32be' },
  parentUniqueId: { offset: 40, type: 'guidBe' },
  /** Parent modification time, seconds since 2000-01-01 UTC (Windows often leaves 0). */
  parentTimestamp: { offset: 56, type: 'u32be' },
  reserved1: { offset: 60, type: 'u32be' },
  parentUnicodeName: { offset: VHD_PARENT_NAME_OFFSET, type: 'bytes', size: VHD_PARENT_NAME_SIZE },
  parentLocators: { offset: VHD_PARENT_LOCATORS_OFFSET, type: 'bytes', size: 24 * VHD_PARENT_LOCATOR_COUNT },
});
