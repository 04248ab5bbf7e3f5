/**
 * Attribute record headers (libfsntfs "MFT attribute"; ntfs-3g layout.h ATTR_RECORD).
 *
 *   common:       type u32 | length u32 | non-resident u8 | name length u8 (units) |
 *                 name offset u16 | flags u16 | attribute id u16
 *   resident:     0x10 value length u32 | 0x14 value offset u16 | 0x16 indexed flag u8
 *   non-resident: 0x10 lowest VCN u64 | 0x18 highest VCN u64 | 0x20 mapping pairs offset u16 |
 *                 0x22 compression unit (log2 clusters) u8 | 0x28 allocated size u64 |
 *                 0x30 data size u64 | 0x38 initialized size u64 | 0x40 compressed size u64
 *                 (only when compressed or sparse)
 */
import { defineStruct } from '@coldfix/io';

export const AttributeCommonStruct = defineStruct('AttributeCommon', 0x10, {
  type: { offset: 0x00, type: 'u32le' },
  length: { offset: 0x04, type: 'u32le' },
  nonResident: { offset: 0x08, type: 'u8' },
  nameLength: { offset: 0x09, type: 'u8' },
  nameOffset: { offset: 0x0a, type: 'u16le' },
  flags: { offset: 0x0c, type: 'u16le' },
  attributeId: { offset: 0x0e, type: 'u16le' },
});

export const ResidentAttributeStruct = defineStruct('ResidentAttribute', 0x18, {
  valueLength: { offset: 0x10, type: 'u32le' },
  valueOffset: { offset: 0x14, type: 'u16le' },
  indexedFlag: { offset: 0x16, type: 'u8' },
});

export const NonResidentAttributeStruct = defineStruct('NonResidentAttribute', 0x48, {
  lowestVcn: { offset: 0x10, type: 'u64le' },
  highestVcn: { offset: 0x18, type: 'i64le' },
  mappingPairsOffset: { offset: 0x20, type: 'u16le' },
  compressionUnit: { offset: 0x22, type: 'u8' },
  allocatedSize: { offset: 0x28, type: 'u64le' },
  dataSize: { offset: 0x30, type: 'u64le' },
  initializedSize: { offset: 0x38, type: 'u64le' },
  compressedSize: { offset: 0x40, type: 'u64le' },
});
