/**
 * Hosted sparse extent header `KDMV` (512 bytes, little-endian) at offset 0 of
 * every monolithicSparse / twoGbMaxExtentSparse / streamOptimized extent, and
 * its footer copy (streamOptimized with gdOffset = GD_AT_END).
 *
 * References: VMware "Virtual Disk Format 5.0" (SparseExtentHeader, section
 * "Hosted Sparse Extent Header"); libyal libvmdk "VMware Virtual Disk (VMDK)
 * format" §4; qemu block/vmdk.c (VMDK4Header).
 */
import { defineStruct } from '@coldfix/io';

export const SPARSE_MAGIC = 0x564d444b; // "KDMV" read as little-endian u32
export const SPARSE_HEADER_SIZE = 512;
/** gdOffset value meaning "the grain directory is at the end: read the footer" (streamOptimized). */
export const GD_AT_END = 0xffffffffffffffffn;

export const SparseFlags = {
  validNewlineTest: 1 << 0,
  redundantGrainTable: 1 << 1,
  /** Grain table entry 1 means "this grain reads as zeros" (no parent read). */
  zeroedGrainGte: 1 << 2,
  compressedGrains: 1 << 16,
  markers: 1 << 17,
} as const;

export const SparseExtentHeaderStruct = defineStruct('SparseExtentHeader', SPARSE_HEADER_SIZE, {
  magicNumber: { offset: 0, type: 'u32le' },
  version: { offset: 4, type: 'u32le' },
  flags: { offset: 8, type: 'u32le' },
  /** Sectors (512 bytes) of virtual data in this extent. */
  capacity: { offset: 12, type: 'u64le' },
  /** Sectors per grain (power of two, > 8 in practice: 128 = 64 KiB). */
  grainSize: { offset: 20, type: 'u64le' },
  /** Sector of the embedded descriptor (0 when none). */
  descriptorOffset: { offset: 28, type: 'u64le' },
  /** Sectors reserved for the embedded descriptor. */
  descriptorSize: { offset: 36, type: 'u64le' },
  numGTEsPerGT: { offset: 44, type: 'u32le' },
  /** Sector of the redundant grain directory. */
  rgdOffset: { offset: 48, type: 'u64le' },
  /** Sector of the grain directory, or GD_AT_END. */
  gdOffset: { offset: 56, type: 'u64le' },
  /** Sectors of metadata before the first grain. */
  overHead: { offset: 64, type: 'u64le' },
  uncleanShutdown: { offset: 72, type: 'u8' },
  singleEndLineChar: { offset: 73, type: 'u8' },
  nonEndLineChar: { offset: 74, type: 'u8' },
  doubleEndLineChar1: { offset: 75, type: 'u8' },
  doubleEndLineChar2: { offset: 76, type: 'u8' },
  /** 0 none, 1 deflate (RFC 1950 zlib stream). */
  compressAlgorithm: { offset: 77, type: 'u16le' },
  pad: { offset: 79, type: 'bytes', size: 433 },
});
export type SparseExtentHeader = ReturnType<typeof SparseExtentHeaderStruct.decode>;
