/**
 * Open attribute table entries. Version 0 (NTFS restart area 0.x, 0x2c bytes,
 * 32-bit pointer) and version 1 (1.x, 0x28 bytes). Sources: ntfs3 fslog.c
 * `OPEN_ATTR_ENRTY_32` / `OPEN_ATTR_ENRTY`, ntfs-3g ntfsrecover.h
 * `ATTR_OLD` / `ATTR_NEW`, dfir_ntfs OpenAttributeEntry0/1.
 */
import { defineStruct } from '@coldfix/io';

export const OpenAttributeEntryV0Struct = defineStruct('OpenAttributeEntryV0', 44, {
  allocatedOrNextFree: { offset: 0, type: 'u32le' },
  fileReference: { offset: 8, type: 'u64le' },
  lsnOfOpenRecord: { offset: 16, type: 'u64le' },
  dirtyPagesSeen: { offset: 24, type: 'u8' },
  attributeNamePresent: { offset: 25, type: 'u8' },
  attributeTypeCode: { offset: 28, type: 'u32le' },
  nameLength: { offset: 32, type: 'u8' },
  bytesPerIndexBuffer: { offset: 40, type: 'u32le' },
});

export const OpenAttributeEntryV1Struct = defineStruct('OpenAttributeEntryV1', 40, {
  allocatedOrNextFree: { offset: 0, type: 'u32le' },
  bytesPerIndexBuffer: { offset: 4, type: 'u32le' },
  attributeTypeCode: { offset: 8, type: 'u32le' },
  dirtyPagesSeen: { offset: 12, type: 'u8' },
  fileReference: { offset: 16, type: 'u64le' },
  lsnOfOpenRecord: { offset: 24, type: 'u64le' },
});
