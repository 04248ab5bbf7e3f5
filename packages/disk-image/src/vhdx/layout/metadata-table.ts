/**
 * VHDX metadata table: the first 64 KiB of the metadata region, a 32-byte
 * header then up to 2,047 32-byte entries; items live after the table at
 * offsets relative to the region's start.
 *
 * References: MS-VHDX §2.6.1 "Metadata Table"; libyal libvhdi VHDX format §6.
 */
import { defineStruct } from '@coldfix/io';

export const VHDX_METADATA_TABLE_SIZE = 64 * 1024;
export const VHDX_METADATA_SIGNATURE = 'metadata';
export const VHDX_METADATA_ENTRY_SIZE = 32;
export const VHDX_MAX_METADATA_ENTRIES = 2047;
/** Largest item the specification allows. */
export const VHDX_MAX_METADATA_ITEM = 1024 * 1024;

export const VhdxMetadataTableHeaderStruct = defineStruct('VhdxMetadataTableHeader', 32, {
  signature: { offset: 0, type: 'ascii', size: 8 },
  reserved: { offset: 8, type: 'u16le' },
  entryCount: { offset: 10, type: 'u16le' },
  reserved2: { offset: 12, type: 'bytes', size: 20 },
});

export const VhdxMetadataTableEntryStruct = defineStruct('VhdxMetadataTableEntry', VHDX_METADATA_ENTRY_SIZE, {
  itemId: { offset: 0, type: 'guid' },
  /** Bytes from the start of the metadata region, at least 64 KiB (0 with an empty item). */
  offset: { offset: 16, type: 'u32le' },
  /** Bytes, at most 1 MiB. */
  length: { offset: 20, type: 'u32le' },
  /** Bit 0 IsUser, bit 1 IsVirtualDisk, bit 2 IsRequired. */
  flags: { offset: 24, type: 'u32le' },
  reserved2: { offset: 28, type: 'u32le' },
});

export const METADATA_FLAG_IS_USER = 1;
export const METADATA_FLAG_IS_VIRTUAL_DISK = 2;
export const METADATA_FLAG_IS_REQUIRED = 4;
