/**
 * Views over a resolved FileRecord: its $STANDARD_INFORMATION, $FILE_NAMEs,
 * $DATA streams (extents joined), index attributes and reparse point. Pure.
 */
import { AttributeType } from './layout/attribute-types.js';
import { decodeStandardInformation, type StandardInformation } from './layout/standard-information.js';
import { decodeFileName, type FileNameAttribute } from './layout/file-name.js';
import { decodeReparsePoint, type ReparsePoint } from './layout/reparse-point.js';
import type { AttributeRecord, DecodedRecord } from './codec/decode-record.js';
import type { AttributeListEntry } from './layout/attribute-list-entry.js';
import type { Run } from './codec/runlist.js';

export interface FileRecord extends DecodedRecord {
  /** Every attribute record of the file: the base record's and, through the attribute list, the extension records'. */
  attributes: AttributeRecord[];
  /** Decoded $ATTRIBUTE_LIST, when the file has one. */
  attributeList: AttributeListEntry[] | null;
  /** Extension records referenced by the attribute list. */
  extensionRecords: number[];
  /** The base record's bytes with fixups applied (attribute `offset`s index into it). */
  bytes: Uint8Array;
  /** Absolute volume byte ranges holding the base record. */
  extents: Array<{ offset: number; length: number }>;
}

/** A logical attribute (all extents of one type+name joined). */
export interface JoinedAttribute {
  type: number;
  name: string;
  resident: boolean;
  /** Resident value. */
  value?: Uint8Array;
  dataSize: number;
  allocatedSize: number;
  initializedSize: number;
  compressionUnit: number;
  compressed: boolean;
  sparse: boolean;
  encrypted: boolean;
  runs: Run[];
  extents: AttributeRecord[];
}

export function standardInformation(record: FileRecord): StandardInformation | null {
  const attribute = record.attributes.find((a) => a.type === AttributeType.standardInformation && a.value);
  if (!attribute?.value) return null;
  try {
    return decodeStandardInformation(attribute.value);
  } catch {
    return null;
  }
}

export function fileNames(record: FileRecord): FileNameAttribute[] {
  const out: FileNameAttribute[] = [];
  for (const a of record.attributes) {
    if (a.type !== AttributeType.fileName || !a.value) continue;
    try {
      out.push(decodeFileName(a.value));
    } catch {
      // reported by details(); a name we cannot decode is skipped here
    }
  }
  return out;
}

export function reparsePoint(record: FileRecord): ReparsePoint | null {
  const attribute = record.attributes.find((a) => a.type === AttributeType.reparsePoint);
  if (!attribute) return null;
  if (!attribute.value) return { tag: 0, kind: 'other', dataLength: attribute.dataSize ?? 0 };
  try {
    return decodeReparsePoint(attribute.value);
  } catch {
    return null;
  }
}

/** Joins the extents of every (type, name) pair, in first-seen order. */
export function joinedAttributes(record: FileRecord, type?: number): JoinedAttribute[] {
  const groups = new Map<string, AttributeRecord[]>();
  for (const a of record.attributes) {
    if (type !== undefined && a.type !== type) continue;
    const key = `${a.type}:${a.name}`;
    const list = groups.get(key);
    if (list) list.push(a);
    else groups.set(key, [a]);
  }
  const out: JoinedAttribute[] = [];
  for (const extents of groups.values()) out.push(joinExtents(extents));
  return out;
}

export function joinExtents(extents: AttributeRecord[]): JoinedAttribute {
  const first = extents.find((e) => !e.nonResident) ?? extents.slice().sort((a, b) => (a.lowestVcn ?? 0) - (b.lowestVcn ?? 0))[0];
  if (!first.nonResident) {
    return {
      type: first.type, name: first.name, resident: true, value: first.value,
      dataSize: first.value?.length ?? 0, allocatedSize: first.value?.length ?? 0, initializedSize: first.value?.length ?? 0,
      compressionUnit: 0, compressed: first.compressed, sparse: first.sparse, encrypted: first.encrypted, runs: [], extents: [first],
    };
  }
  const sorted = extents.filter((e) => e.nonResident).sort((a, b) => (a.lowestVcn ?? 0) - (b.lowestVcn ?? 0));
  const runs = sorted.flatMap((e) => e.runs ?? []);
  return {
    type: first.type, name: first.name, resident: false,
    dataSize: first.dataSize ?? 0, allocatedSize: first.allocatedSize ?? 0, initializedSize: first.initializedSize ?? 0,
    compressionUnit: first.compressed ? first.compressionUnit ?? 0 : 0,
    compressed: first.compressed, sparse: first.sparse, encrypted: first.encrypted, runs, extents: sorted,
  };
}

export function findAttribute(record: FileRecord, type: number, name: string): JoinedAttribute | null {
  const extents = record.attributes.filter((a) => a.type === type && a.name === name);
  return extents.length ? joinExtents(extents) : null;
}
