/**
 * streamOptimized markers. A grain marker is {lba u64, size u32, data[size]}
 * (size > 0: a deflate-compressed grain); a metadata marker is one sector
 * {numSectors u64, size u32 = 0, type u32, pad} followed by numSectors of
 * metadata. The stream ends: footer marker, footer (a header copy), end-of-stream marker.
 *
 * References: VMware "Virtual Disk Format 5.0", "Stream-Optimized Compressed
 * Sparse Extents"; libyal libvmdk format §4.3; qemu block/vmdk.c (VMDK4_FOOTER).
 */
import { defineStruct } from '@coldfix/io';

export const MarkerType = { endOfStream: 0, grainTable: 1, grainDirectory: 2, footer: 3 } as const;

export const GrainMarkerStruct = defineStruct('GrainMarker', 12, {
  /** Virtual sector of the grain's first byte. */
  lba: { offset: 0, type: 'u64le' },
  /** Bytes of compressed data that follow. */
  size: { offset: 8, type: 'u32le' },
});

export const MetadataMarkerStruct = defineStruct('MetadataMarker', 512, {
  numSectors: { offset: 0, type: 'u64le' },
  size: { offset: 8, type: 'u32le' },
  type: { offset: 12, type: 'u32le' },
  pad: { offset: 16, type: 'bytes', size: 496 },
});
