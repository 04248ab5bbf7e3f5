/**
 * Pure decoding of FVE metadata entries into a bounded tree.
 *
 * References: libbde format doc §4 (entries and value types); dislocker
 * `datums.c` (nesting rules, behaviour only).
 */
import { CorruptError, LimitExceededError, decodeUtf16le, formatGuid, viewOf } from '@coldfix/io';
import { MetadataEntryHeader, NESTED_VALUE_PREFIX, ValueType } from '../layout/metadata-entry.js';

export interface MetadataEntry {
  entryType: number;
  valueType: number;
  version: number;
  /** Byte offset of the entry inside the buffer it was decoded from. */
  offset: number;
  /** The value bytes (after the 8-byte header), a subarray. */
  value: Uint8Array;
  /** Nested entries (stretch key, use key, VMK, external key). */
  children: MetadataEntry[];
}

const MAX_DEPTH = 4;
const MAX_ENTRIES = 1024;

/**
 * Decodes the entries in `bytes[start, end)`. A zero-size entry or fewer than
 * 8 bytes left ends the list (Windows pads with zeros).
 * Throws CorruptError BITLOCKER_ENTRY_SIZE when an entry overruns its parent,
 * LimitExceededError when nesting or counts exceed sane caps.
 */
export function decodeEntries(bytes: Uint8Array, start = 0, end = bytes.length, depth = 0, counter = { n: 0 }): MetadataEntry[] {
  if (depth > MAX_DEPTH) {
    throw new LimitExceededError(`FVE metadata entries nest deeper than ${MAX_DEPTH}`, { code: 'BITLOCKER_ENTRY_DEPTH', layer: 'bitlocker', offset: start });
  }
  const out: MetadataEntry[] = [];
  let at = start;
  while (end - at >= 8) {
    const h = MetadataEntryHeader.decode(bytes, at);
    if (h.size === 0) break;
    if (h.size < 8 || at + h.size > end) {
      throw new CorruptError(`FVE metadata entry at +0x${at.toString(16)}: size ${h.size} overruns its container`, {
        code: 'BITLOCKER_ENTRY_SIZE',
        layer: 'bitlocker',
        offset: at,
        details: { size: h.size, available: end - at },
      });
    }
    if (++counter.n > MAX_ENTRIES) {
      throw new LimitExceededError(`more than ${MAX_ENTRIES} FVE metadata entries`, { code: 'BITLOCKER_ENTRY_COUNT', layer: 'bitlocker', offset: at });
    }
    const value = bytes.subarray(at + 8, at + h.size);
    const prefix = NESTED_VALUE_PREFIX[h.valueType];
    const children = prefix !== undefined && value.length >= prefix ? decodeEntries(bytes, at + 8 + prefix, at + h.size, depth + 1, counter) : [];
    out.push({ entryType: h.entryType, valueType: h.valueType, version: h.version, offset: at, value, children });
    at += h.size;
  }
  return out;
}

function need(entry: MetadataEntry, length: number, what: string): void {
  if (entry.value.length < length) {
    throw new CorruptError(`FVE ${what} value too short (${entry.value.length} < ${length} bytes)`, {
      code: 'BITLOCKER_VALUE_SIZE',
      layer: 'bitlocker',
      offset: entry.offset,
      details: { valueType: entry.valueType, length: entry.value.length, need: length },
    });
  }
}

/** Key value (type 1): method u32, key bytes. */
export function decodeKeyValue(entry: MetadataEntry): { method: number; key: Uint8Array } {
  need(entry, 4, 'key');
  return { method: viewOf(entry.value).getUint32(0, true), key: entry.value.subarray(4) };
}

/** AES-CCM encrypted key (type 5): nonce (FILETIME 8 + counter 4), MAC 16, payload. */
export function decodeAesCcmValue(entry: MetadataEntry): { nonce: Uint8Array; mac: Uint8Array; payload: Uint8Array } {
  need(entry, 28, 'AES-CCM key');
  return { nonce: entry.value.subarray(0, 12), mac: entry.value.subarray(12, 28), payload: entry.value.subarray(28) };
}

/** Stretch key (type 3): method u32, salt 16, nested. */
export function decodeStretchKeyValue(entry: MetadataEntry): { method: number; salt: Uint8Array } {
  need(entry, 20, 'stretch key');
  return { method: viewOf(entry.value).getUint32(0, true), salt: entry.value.subarray(4, 20) };
}

/** VMK (type 8): GUID, FILETIME, unknown u16, protection type u16, nested. */
export function decodeVmkValue(entry: MetadataEntry): { guid: string; modified: bigint; protection: number } {
  need(entry, 28, 'VMK');
  const view = viewOf(entry.value);
  return { guid: formatGuid(entry.value.subarray(0, 16)), modified: view.getBigUint64(16, true), protection: view.getUint16(26, true) };
}

/** External key (type 9): GUID, FILETIME, nested (key, name). */
export function decodeExternalKeyValue(entry: MetadataEntry): { guid: string; modified: bigint } {
  need(entry, 24, 'external key');
  return { guid: formatGuid(entry.value.subarray(0, 16)), modified: viewOf(entry.value).getBigUint64(16, true) };
}

/** Offset-and-size (type 15): offset u64, size u64 (bytes). */
export function decodeOffsetAndSizeValue(entry: MetadataEntry): { offset: bigint; size: bigint } {
  need(entry, 16, 'offset and size');
  const view = viewOf(entry.value);
  return { offset: view.getBigUint64(0, true), size: view.getBigUint64(8, true) };
}

export function decodeUnicodeValue(entry: MetadataEntry): string {
  return decodeUtf16le(entry.value);
}

/** Depth-first search for the first entry matching the predicate. */
export function findEntry(entries: MetadataEntry[], match: (e: MetadataEntry) => boolean): MetadataEntry | undefined {
  for (const e of entries) {
    if (match(e)) return e;
    const inner = findEntry(e.children, match);
    if (inner) return inner;
  }
  return undefined;
}

export const isValue = (valueType: number) => (e: MetadataEntry) => e.valueType === valueType;
export { ValueType };
