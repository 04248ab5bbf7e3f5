/**
 * ESX sparse extent header `COWD` (vmfsSparse snapshot deltas, ESX 3–6 on
 * VMFS5), little-endian: a 4-byte magic then version 1 fields. Grain
 * directory and grain tables hold 32-bit sector numbers; each grain table has
 * 4096 entries.
 *
 * References: VMware "Virtual Disk Format 5.0", "ESX Server Sparse Extent
 * Header"; libyal libvmdk format §5 (COWD); qemu block/vmdk.c (VMDK3Header,
 * vmdk_open_vmdk3: L2 size 4096).
 */
import { defineStruct } from '@coldfix/io';

export const COWD_MAGIC = 0x44574f43; // "COWD" read as little-endian u32
export const COWD_HEADER_SIZE = 2048;
export const COWD_GT_ENTRIES = 4096;

export const CowdHeaderStruct = defineStruct('CowdExtentHeader', 44, {
  magicNumber: { offset: 0, type: 'u32le' },
  version: { offset: 4, type: 'u32le' },
  flags: { offset: 8, type: 'u32le' },
  /** Sectors of virtual data. */
  numSectors: { offset: 12, type: 'u32le' },
  /** Sectors per grain. */
  grainSize: { offset: 16, type: 'u32le' },
  /** Sector of the grain directory. */
  gdOffset: { offset: 20, type: 'u32le' },
  numGDEntries: { offset: 24, type: 'u32le' },
  /** Next free sector (allocation point). */
  freeSector: { offset: 28, type: 'u32le' },
  cylinders: { offset: 32, type: 'u32le' },
  heads: { offset: 36, type: 'u32le' },
  sectors: { offset: 40, type: 'u32le' },
});
export type CowdHeader = ReturnType<typeof CowdHeaderStruct.decode>;
