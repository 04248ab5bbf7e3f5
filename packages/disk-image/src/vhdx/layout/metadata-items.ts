/**
 * The known VHDX system metadata items (each a small fixed structure; the
 * parent locator has its own file).
 *
 * References: MS-VHDX §2.6.2.1–§2.6.2.5; libyal libvhdi VHDX format §6.3.
 */
import { defineStruct } from '@coldfix/io';

export const VhdxFileParametersStruct = defineStruct('VhdxFileParameters', 8, {
  /** Payload block size in bytes: a power of two, 1 MiB to 256 MiB. */
  blockSize: { offset: 0, type: 'u32le' },
  /** Bit 0 LeaveBlocksAllocated (fixed), bit 1 HasParent (differencing). */
  flags: { offset: 4, type: 'u32le' },
});
export const FILE_PARAMETERS_LEAVE_BLOCKS_ALLOCATED = 1;
export const FILE_PARAMETERS_HAS_PARENT = 2;

export const VhdxVirtualDiskSizeStruct = defineStruct('VhdxVirtualDiskSize', 8, {
  /** Bytes, a multiple of the logical sector size, at most 64 TiB. */
  virtualDiskSize: { offset: 0, type: 'u64le' },
});

/** The "Virtual Disk ID" item: the SCSI page 83 identifier of the disk. */
export const VhdxVirtualDiskIdStruct = defineStruct('VhdxVirtualDiskId', 16, {
  virtualDiskId: { offset: 0, type: 'guid' },
});

export const VhdxSectorSizeStruct = defineStruct('VhdxSectorSize', 4, {
  /** 512 or 4096. */
  sectorSize: { offset: 0, type: 'u32le' },
});
