/**
 * Reads and bounds the metadata of a dynamic or differencing VHD: the dynamic
 * header, the block allocation table (BAT) and the parent locators.
 *
 *   0       512        dataOffset (512)   tableOffset           blocks ...        size-512
 *   | footer copy |  dynamic header 1024 |  BAT (4 bytes/block) | [bitmap|data]... | footer |
 *
 * References: Microsoft VHD specification 1.0 (2006), "Dynamic Disk Header
 * Format", "Block Allocation Table and Data Blocks"; libvhdi format document
 * §3–4; qemu block/vpc.c (vpc_open bounds on max_table_entries and block size).
 */
import { toSafeNumber, type ByteSource } from '@coldfix/io';
import { computeVhdChecksum } from './codec/checksum.js';
import { bitmapSizeFor } from './codec/bitmap.js';
import { decodeLocatorData, decodeParentUnicodeName, type ParentLocatorRef } from './codec/parent-locator-path.js';
import {
  VHD_DYNAMIC_HEADER_CHECKSUM_OFFSET,
  VHD_DYNAMIC_HEADER_COOKIE,
  VHD_DYNAMIC_HEADER_SIZE,
  VHD_PARENT_LOCATOR_COUNT,
  VhdDynamicHeaderStruct,
} from './layout/dynamic-header.js';
import { VHD_PARENT_LOCATOR_SIZE, VhdParentLocatorStruct } from './layout/parent-locator.js';
import type { VhdFooter } from './footer-reader.js';
import { hex, vhdCorrupt, vhdLimit, VHD_LAYER } from './vhd-errors.js';

/** Largest virtual size accepted: the format's own limit is 2040 GiB; round up to 2 TiB. */
export const VHD_MAX_VIRTUAL_SIZE = 2 * 1024 ** 4;
/** Block sizes accepted (power of two between these, bytes). */
export const VHD_MIN_BLOCK_SIZE = 512;
export const VHD_MAX_BLOCK_SIZE = 256 << 20;
/** BAT entries accepted (16 MiB of BAT: 2 TiB in 512 KiB blocks). */
export const VHD_MAX_TABLE_ENTRIES = 1 << 22;
/** Parent locator data longer than this is not a path. */
export const VHD_MAX_LOCATOR_DATA = 64 * 1024;
export const BAT_UNUSED = 0xffffffff;

export type VhdDynamicHeader = ReturnType<typeof VhdDynamicHeaderStruct.decode>;

export interface VhdLocator extends ParentLocatorRef {
  index: number;
  platformDataSpace: number;
  platformDataLength: number;
  platformDataOffset: number;
}

export interface DynamicMetadata {
  header: VhdDynamicHeader;
  headerOffset: number;
  headerBytes: Uint8Array;
  tableOffset: number;
  bat: Uint32Array;
  blockSize: number;
  bitmapSize: number;
  parentName: string;
  locators: VhdLocator[];
  /** Byte ranges holding metadata: a block overlapping one is corrupt. */
  metadataRanges: Array<[start: number, end: number, what: string]>;
  anomalies: string[];
}

/** Throws CorruptError / LimitExceededError naming the field and its offset. */
export async function readDynamicMetadata(file: ByteSource, footer: VhdFooter, trailingOffset: number): Promise<DynamicMetadata> {
  const anomalies: string[] = [];
  const headerOffset = safe(footer.dataOffset, 'footer dataOffset', 16);
  if (headerOffset < 512 || headerOffset + VHD_DYNAMIC_HEADER_SIZE > trailingOffset) {
    throw vhdCorrupt('VHD_HEADER_OFFSET', `VHD footer: dataOffset ${hex(headerOffset)} does not leave room for the 1024-byte dynamic header before the footer at ${hex(trailingOffset)}`, 16, {
      structure: 'footer',
      field: 'dataOffset',
      actual: headerOffset,
    });
  }
  const headerBytes = await file.read(headerOffset, VHD_DYNAMIC_HEADER_SIZE);
  const header = VhdDynamicHeaderStruct.decode(headerBytes);
  if (header.cookie !== VHD_DYNAMIC_HEADER_COOKIE) {
    throw vhdCorrupt('VHD_HEADER_COOKIE', `VHD dynamic header: cookie is ${JSON.stringify(header.cookie)}, expected "cxsparse"`, headerOffset, {
      structure: 'dynamic header',
      field: 'cookie',
      expected: VHD_DYNAMIC_HEADER_COOKIE,
      actual: header.cookie,
    });
  }
  const checksum = computeVhdChecksum(headerBytes, VHD_DYNAMIC_HEADER_CHECKSUM_OFFSET);
  if (checksum !== header.checksum) {
    throw vhdCorrupt('VHD_HEADER_CHECKSUM', `VHD dynamic header: checksum field is ${hex(header.checksum)}, computed ${hex(checksum)}`, headerOffset + VHD_DYNAMIC_HEADER_CHECKSUM_OFFSET, {
      structure: 'dynamic header',
      field: 'checksum',
      expected: checksum,
      actual: header.checksum,
    });
  }
  const blockSize = header.blockSize;
  if (blockSize > VHD_MAX_BLOCK_SIZE) {
    throw vhdLimit('VHD_BLOCK_SIZE_LIMIT', `VHD dynamic header: block size ${blockSize} exceeds the ${VHD_MAX_BLOCK_SIZE}-byte limit`, headerOffset + 32, { field: 'blockSize', actual: blockSize });
  }
  if (blockSize < VHD_MIN_BLOCK_SIZE || (blockSize & (blockSize - 1)) !== 0) {
    throw vhdCorrupt('VHD_BLOCK_SIZE', `VHD dynamic header: block size ${blockSize} is not a power of two of at least 512`, headerOffset + 32, {
      structure: 'dynamic header',
      field: 'blockSize',
      actual: blockSize,
    });
  }
  const currentSize = Number(footer.currentSize);
  if (currentSize > VHD_MAX_VIRTUAL_SIZE) {
    throw vhdLimit('VHD_DISK_SIZE_LIMIT', `VHD footer: current size ${currentSize} exceeds the ${VHD_MAX_VIRTUAL_SIZE}-byte limit`, 48, { field: 'currentSize', actual: currentSize });
  }
  const entries = header.maxTableEntries;
  if (entries > VHD_MAX_TABLE_ENTRIES) {
    throw vhdLimit('VHD_BAT_SIZE_LIMIT', `VHD dynamic header: ${entries} BAT entries exceed the limit of ${VHD_MAX_TABLE_ENTRIES}`, headerOffset + 28, { field: 'maxTableEntries', actual: entries });
  }
  const needed = Math.ceil(currentSize / blockSize);
  if (entries < needed) {
    throw vhdCorrupt('VHD_BAT_TOO_SMALL', `VHD dynamic header: ${entries} BAT entries of ${blockSize} bytes cannot map the ${currentSize}-byte disk (need ${needed})`, headerOffset + 28, {
      structure: 'dynamic header',
      field: 'maxTableEntries',
      expected: needed,
      actual: entries,
    });
  }
  const tableOffset = safe(header.tableOffset, 'dynamic header tableOffset', headerOffset + 16);
  const batBytes = entries * 4;
  if (tableOffset + batBytes > trailingOffset) {
    throw vhdCorrupt('VHD_BAT_OUTSIDE_FILE', `VHD dynamic header: BAT at ${hex(tableOffset)} (${batBytes} bytes) runs past the footer at ${hex(trailingOffset)}`, headerOffset + 16, {
      structure: 'dynamic header',
      field: 'tableOffset',
      actual: tableOffset,
    });
  }
  const batRaw = batBytes ? await file.read(tableOffset, batBytes) : new Uint8Array(0);
  const bat = new Uint32Array(entries);
  const view = new DataView(batRaw.buffer, batRaw.byteOffset, batRaw.byteLength);
  for (let i = 0; i < entries; i++) bat[i] = view.getUint32(i * 4, false);

  const metadataRanges: DynamicMetadata['metadataRanges'] = [
    [0, 512, 'footer copy'],
    [headerOffset, headerOffset + VHD_DYNAMIC_HEADER_SIZE, 'dynamic header'],
    [tableOffset, tableOffset + Math.ceil(batBytes / 512) * 512, 'BAT'],
  ];
  const locators = await readLocators(file, header, headerOffset, anomalies, metadataRanges);
  return {
    header,
    headerOffset,
    headerBytes,
    tableOffset,
    bat,
    blockSize,
    bitmapSize: bitmapSizeFor(blockSize),
    parentName: decodeParentUnicodeName(header.parentUnicodeName),
    locators,
    metadataRanges,
    anomalies,
  };
}

async function readLocators(file: ByteSource, header: VhdDynamicHeader, headerOffset: number, anomalies: string[], ranges: DynamicMetadata['metadataRanges']): Promise<VhdLocator[]> {
  const out: VhdLocator[] = [];
  for (let index = 0; index < VHD_PARENT_LOCATOR_COUNT; index++) {
    const entry = VhdParentLocatorStruct.decode(header.parentLocators, index * VHD_PARENT_LOCATOR_SIZE);
    if (entry.platformCode === '' && entry.platformDataLength === 0) continue;
    const at = headerOffset + 576 + index * VHD_PARENT_LOCATOR_SIZE;
    const dataOffset = entry.platformDataOffset > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(entry.platformDataOffset);
    const locator: VhdLocator = {
      index,
      platformCode: entry.platformCode,
      platformDataSpace: entry.platformDataSpace,
      platformDataLength: entry.platformDataLength,
      platformDataOffset: dataOffset,
    };
    out.push(locator);
    if (entry.platformDataLength > VHD_MAX_LOCATOR_DATA) {
      anomalies.push(`parent locator ${index} (${entry.platformCode}) at ${hex(at)}: data length ${entry.platformDataLength} exceeds ${VHD_MAX_LOCATOR_DATA}; ignored`);
      continue;
    }
    if (dataOffset < 0 || dataOffset + entry.platformDataLength > file.size) {
      anomalies.push(`parent locator ${index} (${entry.platformCode}) at ${hex(at)}: data at ${entry.platformDataOffset} lies outside the file; ignored`);
      continue;
    }
    ranges.push([dataOffset, dataOffset + entry.platformDataLength, `parent locator ${index} data`]);
    locator.path = decodeLocatorData(entry.platformCode, await file.read(dataOffset, entry.platformDataLength));
  }
  return out;
}

function safe(value: bigint, field: string, offset: number): number {
  return toSafeNumber(value, `VHD ${field}`, VHD_LAYER, offset);
}
