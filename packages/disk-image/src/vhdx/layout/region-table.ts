/**
 * VHDX region table: two copies, 64 KiB each, at file offsets 192 KiB and
 * 256 KiB; a 16-byte header and up to 2,047 32-byte entries locating the BAT
 * and the metadata region (and any future region, which must be refused when
 * marked required).
 *
 * References: MS-VHDX §2.2.3 "Region Table"; libyal libvhdi VHDX format §4.
 */
import { defineStruct } from '@coldfix/io';

export const VHDX_REGION_TABLE_SIZE = 64 * 1024;
export const VHDX_REGION_TABLE_OFFSETS = [192 * 1024, 256 * 1024] as const;
export const VHDX_REGION_TABLE_SIGNATURE = 'regi';
export const VHDX_REGION_TABLE_CHECKSUM_OFFSET = 4;
export const VHDX_REGION_ENTRY_SIZE = 32;
export const VHDX_MAX_REGION_ENTRIES = 2047;

export const VhdxRegionTableHeaderStruct = defineStruct('VhdxRegionTableHeader', 16, {
  signature: { offset: 0, type: 'ascii', size: 4 },
  /** CRC-32C of the whole 64 KiB table with this field zero. */
  checksum: { offset: 4, type: 'u32le' },
  entryCount: { offset: 8, type: 'u32le' },
  reserved: { offset: 12, type: 'u32le' },
});

export const VhdxRegionTableEntryStruct = defineStruct('VhdxRegionTableEntry', VHDX_REGION_ENTRY_SIZE, {
  guid: { offset: 0, type: 'guid' },
  /** Bytes, multiple of 1 MiB, at least 1 MiB. */
  fileOffset: { offset: 16, type: 'u64le' },
  /** Bytes, multiple of 1 MiB. */
  length: { offset: 24, type: 'u32le' },
  /** Bit 0: the region must be understood to load the file. */
  required: { offset: 28, type: 'u32le' },
});
