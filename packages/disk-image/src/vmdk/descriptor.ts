/**
 * The VMDK text descriptor: `key=value` lines (header and `ddb.*` disk
 * database) and extent lines `ACCESS SECTORS TYPE ["FILE" [OFFSET]]`.
 * Pure: text in, a typed description out; every count bounded.
 *
 * ```
 * # Disk DescriptorFile
 * version=1
 * CID=dc80b6c7
 * parentCID=ffffffff
 * createType="twoGbMaxExtentSparse"
 * RW 4192256 SPARSE "disk-s001.vmdk"
 * RW 8192 FLAT "disk-flat.vmdk" 0
 * RW 2048 ZERO
 * ```
 * References: VMware "Virtual Disk Format 5.0" §"The Descriptor File";
 * libyal libvmdk format §2; qemu block/vmdk.c (vmdk_parse_extents, vmdk_read_cid).
 */
import type { VmdkVariant } from '../types.js';
import { hex, VMDK_LIMITS, vmdkCorrupt, vmdkLimit } from './vmdk-errors.js';

export type ExtentAccess = 'RW' | 'RDONLY' | 'NOACCESS';
export type ExtentType = 'FLAT' | 'SPARSE' | 'ZERO' | 'VMFS' | 'VMFSSPARSE' | 'VMFSRDM' | 'VMFSRAW' | 'SESPARSE';

export interface ExtentLine {
  access: ExtentAccess;
  /** Virtual sectors (512 bytes) this extent covers. */
  sectors: number;
  type: ExtentType;
  /** File name as written (untrusted); undefined for ZERO. */
  fileName?: string;
  /** FLAT/VMFS: sector in the file where this extent's data starts. */
  startSector: number;
  /** 1-based line number (for messages). */
  line: number;
}

export interface Descriptor {
  version?: string;
  cid?: string;
  parentCid?: string;
  createType?: string;
  parentFileNameHint?: string;
  extents: ExtentLine[];
  /** Every `key=value` pair, `ddb.*` included, unquoted. */
  values: Record<string, string>;
}

export const NO_PARENT_CID = 'ffffffff';

const EXTENT_LINE = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Za-z]+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?\s*$/;
const KEY_VALUE = /^([A-Za-z0-9_.]+)\s*=\s*(.*?)\s*$/;
const EXTENT_TYPES: readonly string[] = ['FLAT', 'SPARSE', 'ZERO', 'VMFS', 'VMFSSPARSE', 'VMFSRDM', 'VMFSRAW', 'SESPARSE'];
const CREATE_TYPES: readonly VmdkVariant[] = [
  'monolithicSparse', 'monolithicFlat', 'twoGbMaxExtentSparse', 'twoGbMaxExtentFlat', 'streamOptimized',
  'vmfs', 'vmfsThin', 'vmfsSparse', 'seSparse', 'vmfsPreallocated', 'vmfsEagerZeroedThick', 'custom',
];

/** True when the first bytes of a file look like a text descriptor (printable ASCII naming a descriptor). */
export function looksLikeDescriptor(head: Uint8Array): boolean {
  let end = head.indexOf(0);
  if (end < 0) end = head.length;
  for (let i = 0; i < end; i++) {
    const b = head[i];
    if (b >= 0x7f || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) return false;
  }
  const text = new TextDecoder('latin1').decode(head.subarray(0, end));
  return /^\s*#\s*Disk DescriptorFile/i.test(text) || /^\s*createType\s*=/m.test(text);
}

/** Parses descriptor text; throws CorruptError for a malformed extent line, LimitExceededError for too many extents. */
export function parseDescriptor(text: string, where: string): Descriptor {
  const values: Record<string, string> = {};
  const extents: ExtentLine[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\0+$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const extent = EXTENT_LINE.exec(line);
    if (extent) {
      if (extents.length >= VMDK_LIMITS.extents) {
        throw vmdkLimit('VMDK_TOO_MANY_EXTENTS', `${where}: more than ${VMDK_LIMITS.extents} extents`, undefined, { path: where });
      }
      extents.push(decodeExtentLine(extent, i + 1, where));
      continue;
    }
    const pair = KEY_VALUE.exec(line);
    if (pair) {
      values[pair[1]] = unquote(pair[2]);
      continue;
    }
    if (/^(RW|RDONLY|NOACCESS)\s/.test(line)) {
      throw vmdkCorrupt('VMDK_BAD_EXTENT_LINE', `${where}: descriptor line ${i + 1} is not a valid extent line: ${JSON.stringify(line.slice(0, 200))}`, undefined, { path: where, line: i + 1 });
    }
    // Other lines (VMware writes none) are ignored, as qemu and libvmdk do.
  }
  const lower = (key: string) => {
    for (const k of Object.keys(values)) if (k.toLowerCase() === key.toLowerCase()) return values[k];
    return undefined;
  };
  const cid = lower('CID');
  const parentCid = lower('parentCID');
  for (const [name, value] of [['CID', cid], ['parentCID', parentCid]] as const) {
    if (value !== undefined && !/^[0-9a-fA-F]{1,8}$/.test(value)) {
      throw vmdkCorrupt('VMDK_BAD_CID', `${where}: ${name}=${JSON.stringify(value.slice(0, 40))} is not 1-8 hex digits`, undefined, { path: where });
    }
  }
  return {
    version: lower('version'),
    cid: cid?.toLowerCase().padStart(8, '0'),
    parentCid: parentCid?.toLowerCase().padStart(8, '0'),
    createType: lower('createType'),
    parentFileNameHint: lower('parentFileNameHint') || undefined,
    extents,
    values,
  };
}

function decodeExtentLine(m: RegExpExecArray, line: number, where: string): ExtentLine {
  const type = m[3].toUpperCase();
  if (!EXTENT_TYPES.includes(type)) {
    throw vmdkCorrupt('VMDK_BAD_EXTENT_TYPE', `${where}: descriptor line ${line}: unknown extent type ${JSON.stringify(m[3])}`, undefined, { path: where, line });
  }
  const sectors = Number(m[2]);
  const startSector = m[5] === undefined ? 0 : Number(m[5]);
  // 2^53 bytes is far beyond any disk; a count above it is corrupt, not a size to honour.
  if (!Number.isSafeInteger(sectors * 512) || !Number.isSafeInteger(startSector * 512)) {
    throw vmdkLimit('VMDK_EXTENT_TOO_LARGE', `${where}: descriptor line ${line}: ${m[2]} sectors at ${m[5] ?? 0} is too large`, undefined, { path: where, line });
  }
  if (type !== 'ZERO' && m[4] === undefined) {
    throw vmdkCorrupt('VMDK_BAD_EXTENT_LINE', `${where}: descriptor line ${line}: ${type} extent without a file name`, undefined, { path: where, line });
  }
  return { access: m[1] as ExtentAccess, sectors, type: type as ExtentType, fileName: m[4], startSector, line };
}

function unquote(value: string): string {
  const m = /^"(.*)"$/.exec(value);
  return m ? m[1] : value;
}

/** The descriptor's createType as a variant; unknown names are kept out of the union (typed as 'custom'). */
export function variantOf(createType: string | undefined, fallback: VmdkVariant): VmdkVariant {
  if (!createType) return fallback;
  const found = CREATE_TYPES.find((t) => t.toLowerCase() === createType.toLowerCase());
  return found ?? 'custom';
}

/** Descriptor text from bytes (NUL padding removed); throws LimitExceededError above the cap. */
export function decodeDescriptorBytes(bytes: Uint8Array, where: string, offset = 0): string {
  if (bytes.length > VMDK_LIMITS.descriptorBytes) {
    throw vmdkLimit('VMDK_DESCRIPTOR_TOO_LARGE', `${where}: descriptor of ${bytes.length} bytes at ${hex(offset)} exceeds ${VMDK_LIMITS.descriptorBytes}`, offset, { path: where });
  }
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  return new TextDecoder('utf-8').decode(bytes.subarray(0, end));
}
