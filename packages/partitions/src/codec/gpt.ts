/**
 * Pure GPT decoding: header validation (signature, size, CRC32, self LBA,
 * bounds) and entry-array decoding. No I/O here: the reader in ../gpt.ts
 * fetches the bytes and decides between primary and backup.
 *
 * References: UEFI Specification 2.10 §5.3.2 "GPT Header" (the validation
 * steps listed under "the following test must be performed to determine if a
 * GPT is valid"), §5.3.3 "GPT Partition Entry Array"; libyal libvsgpt.
 */
import { crc32, isZero, viewOf } from '@coldfix/io';
import { GPT_HEADER_CRC_OFFSET, GPT_HEADER_MIN_SIZE, GPT_SIGNATURE, GptHeader } from '../layout/gpt-header.js';
import { GPT_ENTRY_MIN_SIZE, GptPartitionEntry } from '../layout/gpt-entry.js';

/** Caps on sizes read from disk, checked before allocating. */
export const GPT_LIMITS = {
  /** sgdisk allows far fewer in practice (128 by default). */
  maxPartitionEntries: 65_536,
  /** 128 × 2^n; anything above 4 KiB per entry has never been seen. */
  maxEntrySize: 4096,
  /** Whole entry array. */
  maxEntryArrayBytes: 8 << 20,
} as const;

/** A header or entry array unusable for a stated reason (message names field, expected, actual). */
export interface GptProblem {
  structure: 'header' | 'entries';
  field: string;
  expected: string;
  actual: string;
  /** Absolute byte offset of the structure on the disk. */
  offset: number;
  /** 'limit' when a count or size read from disk exceeds GPT_LIMITS. */
  kind: 'corrupt' | 'limit';
  message: string;
}

/** The header, with 64-bit LBAs already checked to be safe integers. */
export interface GptHeaderInfo {
  revision: number;
  headerSize: number;
  headerCrc32: number;
  myLba: number;
  alternateLba: number;
  firstUsableLba: number;
  lastUsableLba: number;
  diskGuid: string;
  partitionEntryLba: number;
  numberOfPartitionEntries: number;
  sizeOfPartitionEntry: number;
  partitionEntryArrayCrc32: number;
}

export type GptHeaderResult = { ok: true; header: GptHeaderInfo } | { ok: false; problem: GptProblem };

const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/**
 * Validates and decodes the header in `block` (one logical block read at LBA
 * `lba`, i.e. byte `lba * sectorSize`). Never throws on bad content.
 */
export function decodeGptHeader(block: Uint8Array, lba: number, sectorSize: number): GptHeaderResult {
  const offset = lba * sectorSize;
  const problem = (field: string, expected: string, actual: string, kind: 'corrupt' | 'limit' = 'corrupt'): GptHeaderResult => ({
    ok: false,
    problem: {
      structure: 'header', field, expected, actual, offset, kind,
      message: `GPT header at LBA ${lba} (0x${offset.toString(16)}): ${field} expected ${expected}, found ${actual}`,
    },
  });
  if (block.length < GPT_HEADER_MIN_SIZE) return problem('size', `${GPT_HEADER_MIN_SIZE} bytes`, `${block.length} bytes`);
  const raw = GptHeader.decode(block);
  if (raw.signature !== GPT_SIGNATURE) return problem('signature', JSON.stringify(GPT_SIGNATURE), JSON.stringify(raw.signature));
  // UEFI: HeaderSize must be ≥ 92 and ≤ the logical block size.
  if (raw.headerSize < GPT_HEADER_MIN_SIZE || raw.headerSize > Math.min(sectorSize, block.length)) {
    return problem('headerSize', `${GPT_HEADER_MIN_SIZE}..${sectorSize}`, String(raw.headerSize));
  }
  const covered = block.slice(0, raw.headerSize);
  covered.fill(0, GPT_HEADER_CRC_OFFSET, GPT_HEADER_CRC_OFFSET + 4);
  const computed = crc32(covered);
  if (computed !== raw.headerCrc32) return problem('headerCrc32', `${hex32(computed)} (computed)`, `${hex32(raw.headerCrc32)} (stored)`);

  const lbaFields = ['myLba', 'alternateLba', 'firstUsableLba', 'lastUsableLba', 'partitionEntryLba'] as const;
  const lbas = {} as Record<(typeof lbaFields)[number], number>;
  for (const f of lbaFields) {
    // A CRC-valid header with an LBA ≥ 2^53 is unusable: report, do not round.
    if (raw[f] > BigInt(Math.floor(Number.MAX_SAFE_INTEGER / sectorSize))) return problem(f, 'an LBA addressable in 2^53 bytes', raw[f].toString(), 'limit');
    lbas[f] = Number(raw[f]);
  }
  if (lbas.myLba !== lba) return problem('myLba', String(lba), String(lbas.myLba));
  if (lbas.firstUsableLba > lbas.lastUsableLba + 1) {
    return problem('firstUsableLba', `≤ lastUsableLba + 1 (${lbas.lastUsableLba + 1})`, String(lbas.firstUsableLba));
  }
  const n = raw.sizeOfPartitionEntry;
  // 128 × 2^n (UEFI Table 5.5).
  if (n < GPT_ENTRY_MIN_SIZE || (n & (n - 1)) !== 0) return problem('sizeOfPartitionEntry', '128 × 2^n', String(n));
  if (n > GPT_LIMITS.maxEntrySize) return problem('sizeOfPartitionEntry', `≤ ${GPT_LIMITS.maxEntrySize}`, String(n), 'limit');
  if (raw.numberOfPartitionEntries > GPT_LIMITS.maxPartitionEntries) {
    return problem('numberOfPartitionEntries', `≤ ${GPT_LIMITS.maxPartitionEntries}`, String(raw.numberOfPartitionEntries), 'limit');
  }
  if (raw.numberOfPartitionEntries * n > GPT_LIMITS.maxEntryArrayBytes) {
    return problem('numberOfPartitionEntries', `an entry array ≤ ${GPT_LIMITS.maxEntryArrayBytes} bytes`, `${raw.numberOfPartitionEntries} × ${n} bytes`, 'limit');
  }
  return {
    ok: true,
    header: {
      revision: raw.revision,
      headerSize: raw.headerSize,
      headerCrc32: raw.headerCrc32,
      ...lbas,
      diskGuid: raw.diskGuid.toLowerCase(),
      numberOfPartitionEntries: raw.numberOfPartitionEntries,
      sizeOfPartitionEntry: n,
      partitionEntryArrayCrc32: raw.partitionEntryArrayCrc32,
    },
  };
}

/** Bytes of the entry array described by `header`. */
export function entryArrayBytes(header: GptHeaderInfo): number {
  return header.numberOfPartitionEntries * header.sizeOfPartitionEntry;
}

/** Checks the entry-array CRC32 (UEFI: over NumberOfPartitionEntries × SizeOfPartitionEntry bytes). */
export function checkGptEntryArray(array: Uint8Array, header: GptHeaderInfo, sectorSize: number): GptProblem | undefined {
  const computed = crc32(array);
  if (computed === header.partitionEntryArrayCrc32) return undefined;
  const offset = header.partitionEntryLba * sectorSize;
  return {
    structure: 'entries', field: 'partitionEntryArrayCrc32', kind: 'corrupt', offset,
    expected: `${hex32(computed)} (computed)`, actual: `${hex32(header.partitionEntryArrayCrc32)} (stored)`,
    message: `GPT entry array at LBA ${header.partitionEntryLba} (0x${offset.toString(16)}) for the header at LBA ${header.myLba}: partitionEntryArrayCrc32 expected ${hex32(computed)} (computed), found ${hex32(header.partitionEntryArrayCrc32)} (stored)`,
  };
}

/** One used entry, decoded; LBAs stay bigint so the caller can report unsafe values. */
export interface GptRawEntry {
  /** 1-based slot number. */
  index: number;
  typeGuid: string;
  uniqueGuid: string;
  startingLba: bigint;
  endingLba: bigint;
  attributes: bigint;
  name: string;
}

const NULL_TYPE = '00000000-0000-0000-0000-000000000000';

/** Decodes the used entries (type GUID not all zero) of an entry array. */
export function decodeGptEntries(array: Uint8Array, header: GptHeaderInfo): GptRawEntry[] {
  const out: GptRawEntry[] = [];
  for (let i = 0; i < header.numberOfPartitionEntries; i++) {
    const at = i * header.sizeOfPartitionEntry;
    if (at + GPT_ENTRY_MIN_SIZE > array.length) break;
    // Most of the 128 slots are unused: test the type GUID's 16 bytes before decoding (and formatting
    // two GUIDs of) every slot.
    if (isZero(array, at, 16)) continue;
    const e = GptPartitionEntry.decode(array, at);
    const typeGuid = e.partitionTypeGuid.toLowerCase();
    if (typeGuid === NULL_TYPE) continue;
    out.push({
      index: i + 1,
      typeGuid,
      uniqueGuid: e.uniquePartitionGuid.toLowerCase(),
      startingLba: e.startingLba,
      endingLba: e.endingLba,
      attributes: e.attributes,
      name: decodeGptName(e.partitionName),
    });
  }
  return out;
}

/**
 * UTF-16LE partition name, up to 36 code units, ending at the first NUL.
 * Some writers (VMware ESXi) fill unused name space with 0xFF bytes: a U+FFFF
 * unit (a Unicode noncharacter) also ends the name, so an all-0xFF name is ''.
 */
export function decodeGptName(bytes: Uint8Array): string {
  const view = viewOf(bytes);
  let s = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const unit = view.getUint16(i, true);
    if (unit === 0 || unit === 0xffff) break;
    s += String.fromCharCode(unit);
  }
  return s;
}
