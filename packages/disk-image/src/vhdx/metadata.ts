/**
 * Reads the VHDX metadata region: the table, then the known system items
 * (file parameters, virtual disk size, virtual disk ID (page 83), logical and
 * physical sector sizes, parent locator). An unknown item marked required is
 * refused (UnsupportedError), as the specification demands.
 *
 * References: MS-VHDX §2.6 "Metadata Region"; libyal libvhdi VHDX format §6.
 */
import type { ByteSource } from '@coldfix/io';
import {
  FILE_PARAMETERS_GUID,
  LOGICAL_SECTOR_SIZE_GUID,
  PARENT_LOCATOR_GUID,
  PHYSICAL_SECTOR_SIZE_GUID,
  VIRTUAL_DISK_ID_GUID,
  VIRTUAL_DISK_SIZE_GUID,
} from './guids.js';
import type { VhdxRegion } from './headers.js';
import { FILE_PARAMETERS_HAS_PARENT, FILE_PARAMETERS_LEAVE_BLOCKS_ALLOCATED, VhdxFileParametersStruct, VhdxSectorSizeStruct, VhdxVirtualDiskIdStruct, VhdxVirtualDiskSizeStruct } from './layout/metadata-items.js';
import {
  METADATA_FLAG_IS_REQUIRED,
  METADATA_FLAG_IS_USER,
  VHDX_MAX_METADATA_ENTRIES,
  VHDX_MAX_METADATA_ITEM,
  VHDX_METADATA_ENTRY_SIZE,
  VHDX_METADATA_SIGNATURE,
  VHDX_METADATA_TABLE_SIZE,
  VhdxMetadataTableEntryStruct,
  VhdxMetadataTableHeaderStruct,
} from './layout/metadata-table.js';
import { decodeParentLocator, type VhdxParentLocator } from './parent-locator.js';
import { hex, vhdxCorrupt, vhdxUnsupported } from './vhdx-errors.js';

const MIB = 1024 * 1024;
/** 64 TiB: the specification's largest virtual disk. */
export const VHDX_MAX_VIRTUAL_SIZE = 64 * 1024 * 1024 * MIB;

export interface VhdxMetadata {
  blockSize: number;
  leaveBlocksAllocated: boolean;
  hasParent: boolean;
  virtualSize: number;
  virtualDiskId: string;
  logicalSectorSize: number;
  physicalSectorSize: number;
  parentLocator?: VhdxParentLocator;
  /** Payload blocks per sector bitmap block: 2^23 * logical sector size / block size. */
  chunkRatio: number;
  /** ceil(virtual size / block size). */
  payloadBlocks: number;
  /** ceil(payload blocks / chunk ratio). */
  sectorBitmapBlocks: number;
  /** BAT entries the disk needs (MS-VHDX §2.5). */
  batEntries: number;
}

interface TableItem {
  itemId: string;
  offset: number;
  length: number;
  flags: number;
  entryOffset: number;
}

/** Reads the metadata region. Throws CorruptError, UnsupportedError (unknown required item, parent type). */
export async function readVhdxMetadata(file: ByteSource, region: VhdxRegion): Promise<VhdxMetadata> {
  if (region.length < VHDX_METADATA_TABLE_SIZE || region.fileOffset + region.length > file.size) {
    throw vhdxCorrupt('VHDX_METADATA_REGION', `VHDX metadata region [${hex(region.fileOffset)}, +${hex(region.length)}) is too small or past the end of the file (${hex(file.size)})`, region.fileOffset);
  }
  const table = await file.read(region.fileOffset, VHDX_METADATA_TABLE_SIZE);
  const head = VhdxMetadataTableHeaderStruct.decode(table);
  if (head.signature !== VHDX_METADATA_SIGNATURE) {
    throw vhdxCorrupt('VHDX_METADATA_SIGNATURE', `VHDX metadata table: signature ${JSON.stringify(head.signature)}, expected "metadata"`, region.fileOffset);
  }
  if (head.entryCount > VHDX_MAX_METADATA_ENTRIES) {
    throw vhdxCorrupt('VHDX_METADATA_COUNT', `VHDX metadata table: EntryCount ${head.entryCount} above ${VHDX_MAX_METADATA_ENTRIES}`, region.fileOffset + 10);
  }
  const items = new Map<string, TableItem>();
  for (let i = 0; i < head.entryCount; i++) {
    const at = 32 + i * VHDX_METADATA_ENTRY_SIZE;
    const e = VhdxMetadataTableEntryStruct.decode(table, at);
    const entryOffset = region.fileOffset + at;
    if (e.length > VHDX_MAX_METADATA_ITEM || (e.length > 0 && (e.offset < VHDX_METADATA_TABLE_SIZE || e.offset + e.length > region.length))) {
      throw vhdxCorrupt('VHDX_METADATA_ITEM_RANGE', `VHDX metadata item ${e.itemId}: [${hex(e.offset)}, +${hex(e.length)}) outside the ${hex(region.length)}-byte metadata region`, entryOffset, {
        itemId: e.itemId,
        offset: e.offset,
        length: e.length,
      });
    }
    if (e.flags & METADATA_FLAG_IS_USER) continue;
    if (!KNOWN_ITEMS.has(e.itemId)) {
      if (e.flags & METADATA_FLAG_IS_REQUIRED) {
        throw vhdxUnsupported('VHDX_UNKNOWN_REQUIRED_METADATA', `VHDX metadata item ${e.itemId} is marked required and coldfix does not know it`, entryOffset, { itemId: e.itemId });
      }
      continue;
    }
    items.set(e.itemId, { itemId: e.itemId, offset: e.offset, length: e.length, flags: e.flags, entryOffset });
  }
  const read = async (guid: string, name: string, minLength: number): Promise<Uint8Array> => {
    const item = items.get(guid);
    if (!item) throw vhdxCorrupt('VHDX_METADATA_MISSING', `VHDX metadata: required item ${name} (${guid}) is missing`, region.fileOffset, { itemId: guid });
    if (item.length < minLength) {
      throw vhdxCorrupt('VHDX_METADATA_ITEM_SHORT', `VHDX metadata item ${name}: ${item.length} bytes, expected at least ${minLength}`, item.entryOffset, { itemId: guid, length: item.length });
    }
    return file.read(region.fileOffset + item.offset, item.length);
  };
  const params = VhdxFileParametersStruct.decode(await read(FILE_PARAMETERS_GUID, 'File Parameters', 8));
  const virtualSize64 = VhdxVirtualDiskSizeStruct.decode(await read(VIRTUAL_DISK_SIZE_GUID, 'Virtual Disk Size', 8)).virtualDiskSize;
  const virtualDiskId = VhdxVirtualDiskIdStruct.decode(await read(VIRTUAL_DISK_ID_GUID, 'Virtual Disk ID', 16)).virtualDiskId;
  const logicalSectorSize = VhdxSectorSizeStruct.decode(await read(LOGICAL_SECTOR_SIZE_GUID, 'Logical Sector Size', 4)).sectorSize;
  const physicalSectorSize = VhdxSectorSizeStruct.decode(await read(PHYSICAL_SECTOR_SIZE_GUID, 'Physical Sector Size', 4)).sectorSize;
  const blockSize = params.blockSize;
  if (blockSize < MIB || blockSize > 256 * MIB || (blockSize & (blockSize - 1)) !== 0) {
    throw vhdxCorrupt('VHDX_BLOCK_SIZE', `VHDX file parameters: BlockSize ${hex(blockSize)} is not a power of two from 1 MiB to 256 MiB`, items.get(FILE_PARAMETERS_GUID)!.entryOffset, { actual: blockSize });
  }
  for (const [name, size] of [['Logical', logicalSectorSize], ['Physical', physicalSectorSize]] as const) {
    if (size !== 512 && size !== 4096) {
      throw vhdxCorrupt('VHDX_SECTOR_SIZE', `VHDX ${name} Sector Size ${size}, expected 512 or 4096`, region.fileOffset, { actual: size });
    }
  }
  if (virtualSize64 > BigInt(VHDX_MAX_VIRTUAL_SIZE) || virtualSize64 % BigInt(logicalSectorSize) !== 0n) {
    throw vhdxCorrupt('VHDX_VIRTUAL_SIZE', `VHDX Virtual Disk Size ${virtualSize64} is above 64 TiB or not a multiple of the ${logicalSectorSize}-byte logical sector`, region.fileOffset, {
      actual: virtualSize64.toString(),
    });
  }
  const hasParent = (params.flags & FILE_PARAMETERS_HAS_PARENT) !== 0;
  let parentLocator: VhdxParentLocator | undefined;
  if (hasParent) {
    const item = items.get(PARENT_LOCATOR_GUID);
    if (!item) throw vhdxCorrupt('VHDX_PARENT_LOCATOR_MISSING', `VHDX file parameters say HasParent, but there is no parent locator item`, region.fileOffset);
    parentLocator = decodeParentLocator(await read(PARENT_LOCATOR_GUID, 'Parent Locator', 20), region.fileOffset + item.offset);
  }
  const virtualSize = Number(virtualSize64);
  const chunkRatio = (2 ** 23 * logicalSectorSize) / blockSize;
  const payloadBlocks = Math.ceil(virtualSize / blockSize);
  const sectorBitmapBlocks = Math.ceil(payloadBlocks / chunkRatio);
  const batEntries = hasParent ? sectorBitmapBlocks * (chunkRatio + 1) : payloadBlocks + Math.floor(Math.max(0, payloadBlocks - 1) / chunkRatio);
  return {
    blockSize,
    leaveBlocksAllocated: (params.flags & FILE_PARAMETERS_LEAVE_BLOCKS_ALLOCATED) !== 0,
    hasParent,
    virtualSize,
    virtualDiskId,
    logicalSectorSize,
    physicalSectorSize,
    parentLocator,
    chunkRatio,
    payloadBlocks,
    sectorBitmapBlocks,
    batEntries,
  };
}

const KNOWN_ITEMS = new Set([FILE_PARAMETERS_GUID, VIRTUAL_DISK_SIZE_GUID, VIRTUAL_DISK_ID_GUID, LOGICAL_SECTOR_SIZE_GUID, PHYSICAL_SECTOR_SIZE_GUID, PARENT_LOCATOR_GUID]);
