/**
 * Reads the VHDX header section: the file type identifier, both headers (the
 * valid one with the higher sequence number is current) and both region
 * tables (either valid copy serves; a damaged copy is an anomaly). Pure
 * decoders (`decodeVhdxHeader`, `decodeRegionTable`) over the bytes read once.
 *
 *   0        64K       128K      192K          256K          320K    1M
 *   | ident  | header1 | header2 | region tbl1 | region tbl2 | (reserved) | log, BAT, metadata, blocks…
 *
 * References: MS-VHDX §2.2 "Header Section"; libyal libvhdi VHDX format §2–§4;
 * qemu block/vhdx.c (vhdx_parse_header, vhdx_open_region_tables), read to learn.
 */
import { crc32c, decodeAscii, type ByteSource } from '@coldfix/io';
import { BAT_REGION_GUID, METADATA_REGION_GUID } from './guids.js';
import { VHDX_SIGNATURE, VhdxFileIdentifierStruct } from './layout/file-identifier.js';
import { VHDX_HEADER_CHECKSUM_OFFSET, VHDX_HEADER_OFFSETS, VHDX_HEADER_SIGNATURE, VHDX_HEADER_SIZE, VhdxHeaderStruct, type VhdxHeader } from './layout/header.js';
import {
  VHDX_MAX_REGION_ENTRIES,
  VHDX_REGION_ENTRY_SIZE,
  VHDX_REGION_TABLE_CHECKSUM_OFFSET,
  VHDX_REGION_TABLE_OFFSETS,
  VHDX_REGION_TABLE_SIGNATURE,
  VHDX_REGION_TABLE_SIZE,
  VhdxRegionTableEntryStruct,
  VhdxRegionTableHeaderStruct,
} from './layout/region-table.js';
import { hex, vhdxCorrupt, vhdxUnsupported } from './vhdx-errors.js';

/** End of the header section: nothing else may start below 1 MiB. */
export const VHDX_HEADER_SECTION_SIZE = 1024 * 1024;
const MIB = 1024 * 1024;

export interface VhdxRegion {
  guid: string;
  fileOffset: number;
  length: number;
  required: boolean;
}

export interface VhdxHeaderSection {
  creator: string;
  header: VhdxHeader;
  /** 0 or 1: which copy (at 64 KiB or 128 KiB) is current. */
  headerIndex: number;
  bat: VhdxRegion;
  metadata: VhdxRegion;
  anomalies: string[];
}

/** True when the first 8 bytes are "vhdxfile". */
export function hasVhdxSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && decodeAscii(bytes.subarray(0, 8)) === VHDX_SIGNATURE;
}

/** Checks a structure's CRC-32C with its checksum field counted as zero. */
export function checksumMatches(bytes: Uint8Array, checksumOffset: number): boolean {
  const copy = bytes.slice();
  const stored = new DataView(copy.buffer).getUint32(checksumOffset, true);
  copy.fill(0, checksumOffset, checksumOffset + 4);
  return crc32c(copy) === stored;
}

/** Writes the CRC-32C of `bytes` into its checksum field (in place). */
export function storeChecksum(bytes: Uint8Array, checksumOffset: number): void {
  bytes.fill(0, checksumOffset, checksumOffset + 4);
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(checksumOffset, crc32c(bytes), true);
}

/** Decodes one header copy; undefined when its signature or checksum is wrong (the reason in `why`). */
export function decodeVhdxHeader(bytes: Uint8Array, why: string[] = []): VhdxHeader | undefined {
  const header = VhdxHeaderStruct.decode(bytes);
  if (header.signature !== VHDX_HEADER_SIGNATURE) {
    why.push(`signature ${JSON.stringify(header.signature)}`);
    return undefined;
  }
  if (!checksumMatches(bytes.subarray(0, VHDX_HEADER_SIZE), VHDX_HEADER_CHECKSUM_OFFSET)) {
    why.push('CRC-32C mismatch');
    return undefined;
  }
  return header;
}

/** Decodes a 64 KiB region table; undefined when its signature or checksum is wrong. Throws on bad entries. */
export function decodeRegionTable(bytes: Uint8Array, tableOffset: number, why: string[] = []): VhdxRegion[] | undefined {
  const head = VhdxRegionTableHeaderStruct.decode(bytes);
  if (head.signature !== VHDX_REGION_TABLE_SIGNATURE) {
    why.push(`signature ${JSON.stringify(head.signature)}`);
    return undefined;
  }
  if (!checksumMatches(bytes.subarray(0, VHDX_REGION_TABLE_SIZE), VHDX_REGION_TABLE_CHECKSUM_OFFSET)) {
    why.push('CRC-32C mismatch');
    return undefined;
  }
  if (head.entryCount > VHDX_MAX_REGION_ENTRIES) {
    throw vhdxCorrupt('VHDX_REGION_COUNT', `VHDX region table: EntryCount ${head.entryCount} above ${VHDX_MAX_REGION_ENTRIES}`, tableOffset + 8, {
      structure: 'RegionTableHeader',
      field: 'EntryCount',
      actual: head.entryCount,
    });
  }
  const regions: VhdxRegion[] = [];
  for (let i = 0; i < head.entryCount; i++) {
    const at = 16 + i * VHDX_REGION_ENTRY_SIZE;
    const e = VhdxRegionTableEntryStruct.decode(bytes, at);
    if (e.fileOffset > BigInt(Number.MAX_SAFE_INTEGER) || e.fileOffset % BigInt(MIB) !== 0n || e.fileOffset < BigInt(MIB) || e.length % MIB !== 0) {
      throw vhdxCorrupt('VHDX_REGION_ENTRY', `VHDX region ${e.guid}: offset ${hex(e.fileOffset)} / length ${hex(e.length)} not 1 MiB-aligned past the header section`, tableOffset + at, {
        structure: 'RegionTableEntry',
        guid: e.guid,
      });
    }
    regions.push({ guid: e.guid, fileOffset: Number(e.fileOffset), length: e.length, required: (e.required & 1) === 1 });
  }
  return regions;
}

/**
 * Reads and checks the header section. Throws CorruptError (no valid header or
 * region table, BAT or metadata region missing), UnsupportedError (version not
 * 1, a log version we do not know with a log present, an unknown required region).
 */
export async function readVhdxHeaderSection(file: ByteSource): Promise<VhdxHeaderSection> {
  if (file.size < VHDX_HEADER_SECTION_SIZE) {
    throw vhdxCorrupt('VHDX_TRUNCATED', `VHDX file of ${file.size} bytes is shorter than its 1 MiB header section`, 0, { size: file.size });
  }
  const section = await file.read(0, 320 * 1024);
  const identifier = VhdxFileIdentifierStruct.decode(section);
  if (identifier.signature !== VHDX_SIGNATURE) {
    throw vhdxCorrupt('VHDX_BAD_SIGNATURE', `VHDX file type identifier: signature ${JSON.stringify(identifier.signature)}, expected "vhdxfile"`, 0);
  }
  const anomalies: string[] = [];
  const headers = VHDX_HEADER_OFFSETS.map((offset, i) => {
    const why: string[] = [];
    const header = decodeVhdxHeader(section.subarray(offset, offset + VHDX_HEADER_SIZE), why);
    if (!header) anomalies.push(`VHDX header ${i + 1} at ${hex(offset)} is invalid (${why.join(', ')})`);
    return header;
  });
  let headerIndex = -1;
  if (headers[0] && (!headers[1] || headers[0].sequenceNumber > headers[1].sequenceNumber)) headerIndex = 0;
  else if (headers[1]) headerIndex = 1;
  if (headerIndex < 0) {
    throw vhdxCorrupt('VHDX_NO_VALID_HEADER', `VHDX: neither header is valid (${anomalies.join('; ')})`, VHDX_HEADER_OFFSETS[0]);
  }
  if (headers[0] && headers[1] && headers[0].sequenceNumber === headers[1].sequenceNumber) {
    anomalies.push(`both VHDX headers have sequence number ${headers[0].sequenceNumber}; the first is used`);
  }
  const header = headers[headerIndex]!;
  const headerOffset = VHDX_HEADER_OFFSETS[headerIndex];
  if (header.version !== 1) {
    throw vhdxUnsupported('VHDX_VERSION', `VHDX header Version ${header.version}, expected 1`, headerOffset + 66, { actual: header.version });
  }
  const regionSets = VHDX_REGION_TABLE_OFFSETS.map((offset, i) => {
    const why: string[] = [];
    const regions = decodeRegionTable(section.subarray(offset, offset + VHDX_REGION_TABLE_SIZE), offset, why);
    if (!regions) anomalies.push(`VHDX region table ${i + 1} at ${hex(offset)} is invalid (${why.join(', ')})`);
    return regions;
  });
  const regions = regionSets[0] ?? regionSets[1];
  if (!regions) throw vhdxCorrupt('VHDX_NO_VALID_REGION_TABLE', `VHDX: neither region table is valid`, VHDX_REGION_TABLE_OFFSETS[0]);
  for (const region of regions) {
    if (region.required && region.guid !== BAT_REGION_GUID && region.guid !== METADATA_REGION_GUID) {
      throw vhdxUnsupported('VHDX_UNKNOWN_REQUIRED_REGION', `VHDX region ${region.guid} is marked required and coldfix does not know it`, VHDX_REGION_TABLE_OFFSETS[0], {
        guid: region.guid,
        fileOffset: region.fileOffset,
        length: region.length,
      });
    }
  }
  const find = (guid: string, name: string): VhdxRegion => {
    const found = regions.filter((r) => r.guid === guid);
    if (found.length !== 1) throw vhdxCorrupt('VHDX_REGION_MISSING', `VHDX region table: ${found.length} ${name} regions, expected 1`, VHDX_REGION_TABLE_OFFSETS[0], { guid });
    return found[0];
  };
  return { creator: identifier.creator, header, headerIndex, bat: find(BAT_REGION_GUID, 'BAT'), metadata: find(METADATA_REGION_GUID, 'metadata'), anomalies };
}
