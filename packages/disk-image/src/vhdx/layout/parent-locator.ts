/**
 * VHDX parent locator item: a 20-byte header then KeyValueCount 12-byte
 * entries; keys and values are UTF-16LE strings (no NUL) at offsets relative
 * to the item's start.
 *
 * References: MS-VHDX §2.6.2.6 "Parent Locator"; libyal libvhdi VHDX format §6.3.6.
 */
import { defineStruct } from '@coldfix/io';

export const VHDX_PARENT_LOCATOR_HEADER_SIZE = 20;
export const VHDX_PARENT_LOCATOR_ENTRY_SIZE = 12;

export const VhdxParentLocatorHeaderStruct = defineStruct('VhdxParentLocatorHeader', VHDX_PARENT_LOCATOR_HEADER_SIZE, {
  /** B04AEFB7-D19E-4A81-B789-25B8E9445913 for a VHDX parent. */
  locatorType: { offset: 0, type: 'guid' },
  reserved: { offset: 16, type: 'u16le' },
  keyValueCount: { offset: 18, type: 'u16le' },
});

export const VhdxParentLocatorEntryStruct = defineStruct('VhdxParentLocatorEntry', VHDX_PARENT_LOCATOR_ENTRY_SIZE, {
  keyOffset: { offset: 0, type: 'u32le' },
  valueOffset: { offset: 4, type: 'u32le' },
  keyLength: { offset: 8, type: 'u16le' },
  valueLength: { offset: 10, type: 'u16le' },
});
