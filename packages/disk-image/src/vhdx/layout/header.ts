/**
 * VHDX header: two copies, each a 4 KiB structure in a 64 KiB slot at file
 * offsets 64 KiB and 128 KiB. The current one is the valid one (signature and
 * CRC-32C) with the higher sequence number.
 *
 * References: MS-VHDX §2.2.2 "Headers", §2.2.2.1 "Updating the Headers";
 * libyal libvhdi VHDX format §3.
 */
import { defineStruct } from '@coldfix/io';

export const VHDX_HEADER_SIZE = 4096;
export const VHDX_HEADER_OFFSETS = [64 * 1024, 128 * 1024] as const;
export const VHDX_HEADER_SIGNATURE = 'head';
export const VHDX_HEADER_CHECKSUM_OFFSET = 4;

export const VhdxHeaderStruct = defineStruct('VhdxHeader', VHDX_HEADER_SIZE, {
  signature: { offset: 0, type: 'ascii', size: 4 },
  /** CRC-32C of the 4 KiB structure with this field zero. */
  checksum: { offset: 4, type: 'u32le' },
  sequenceNumber: { offset: 8, type: 'u64le' },
  /** Changed on the first write of every session. */
  fileWriteGuid: { offset: 16, type: 'guid' },
  /** Changed before the first user-visible change; a child's parent_linkage names its parent's. */
  dataWriteGuid: { offset: 32, type: 'guid' },
  /** Zero when the log is empty; log entries carry the GUID they belong to. */
  logGuid: { offset: 48, type: 'guid' },
  /** Must be 0. */
  logVersion: { offset: 64, type: 'u16le' },
  /** Must be 1. */
  version: { offset: 66, type: 'u16le' },
  /** Bytes, multiple of 1 MiB. */
  logLength: { offset: 68, type: 'u32le' },
  /** Bytes, multiple of 1 MiB. */
  logOffset: { offset: 72, type: 'u64le' },
});

export type VhdxHeader = ReturnType<typeof VhdxHeaderStruct.decode>;
