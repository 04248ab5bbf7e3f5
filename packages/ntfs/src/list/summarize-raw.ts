/**
 * The listing's record decoder: straight from a raw MFT record (fixups applied
 * in place) into a RecordTable slot, reading only what a listing shows. It is
 * the fast twin of decodeRecord (codec/decode-record.ts) + summarize()
 * (walk.ts) and accepts only records on which both would agree without
 * anomalies: anything else (bad fixups, truncated or overrunning attributes,
 * an $ATTRIBUTE_LIST, a $REPARSE_POINT) returns false and goes through the
 * full decoder, so its errors and anomalies are exactly the walk's.
 * Layout: libfsntfs "MFT entry", "MFT attribute"; ntfs-3g layout.h.
 */
import { AttributeType, FileAttribute } from '../layout/attribute-types.js';
import type { StreamSummary } from '../types.js';
import { RecordBit, RecordState, type RecordTable } from './record-table.js';
import { decodeUtf16Units } from '../codec/utf16.js';

const u16 = (b: Uint8Array, at: number): number => b[at] | (b[at + 1] << 8);
const u32 = (b: Uint8Array, at: number): number => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
/** Little-endian u64 as a number, saturating at 2^53 - 1 (as decode-record.ts). */
const u64 = (b: Uint8Array, at: number): number => {
  const hi = u32(b, at + 4);
  return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + u32(b, at);
};

export const RawResult = {
  /** Summarised into the table. */
  ready: 1,
  /** Needs the full decoder. */
  slow: 2,
} as const;
export type RawResult = (typeof RawResult)[keyof typeof RawResult];

/** Drops the names a declined record added (no closure per record: this runs for every record). */
function decline(t: RecordTable, nameStart: number): RawResult {
  t.names.length = nameStart;
  t.names.names.length = nameStart;
  return RawResult.slow;
}

/** Whether the record at `at` starts with "FILE". */
export function isFileRecord(b: Uint8Array, at: number): boolean {
  return b[at] === 0x46 && b[at + 1] === 0x49 && b[at + 2] === 0x4c && b[at + 3] === 0x45;
}

/**
 * Summarises record `n` (bytes `b[at, at + size)`) into `t`. Applies the
 * fixups in place (only once they all check). With `wantNames`, the record's
 * $FILE_NAME attributes go to the name pool. Returns RawResult.slow, leaving
 * the slot untouched (state `none`), when the full decoder must take it.
 */
export function summarizeRaw(t: RecordTable, b: Uint8Array, at: number, size: number, n: number, wantNames: boolean): RawResult {
  if (!isFileRecord(b, at)) return RawResult.slow;
  // Update sequence array (codec/fixup.ts applyFixups: same checks).
  const usaOffset = u16(b, at + 4);
  const usaCount = u16(b, at + 6);
  if (usaCount < 1 || usaCount - 1 > size / 512 || usaOffset < 4 || usaOffset + usaCount * 2 > size || usaOffset % 2 !== 0) return RawResult.slow;
  const usa = at + usaOffset;
  for (let i = 1; i < usaCount; i++) {
    const tail = at + i * 512 - 2;
    if (b[tail] !== b[usa] || b[tail + 1] !== b[usa + 1]) return RawResult.slow;
  }
  for (let i = 1; i < usaCount; i++) {
    const tail = at + i * 512 - 2;
    b[tail] = b[usa + i * 2];
    b[tail + 1] = b[usa + i * 2 + 1];
  }
  const flags = u16(b, at + 0x16);
  const bytesInUse = u32(b, at + 0x18);
  if (bytesInUse > size) return RawResult.slow;
  const first = u16(b, at + 0x14);
  if (first < 0x18 || first >= size) return RawResult.slow;
  const baseIsZero = (b[at + 0x20] | b[at + 0x21] | b[at + 0x22] | b[at + 0x23] | b[at + 0x24] | b[at + 0x25]) === 0;
  const end = at + bytesInUse;
  const pool = t.names;
  const nameStart = pool.length;
  let haveSi = false;
  let device = false;
  let indexRootSize = -1;
  let dataSize = -1;
  let dataVcn = Infinity;
  let streams: StreamSummary[] | null = null;
  let streamVcn: number[] | null = null;
  let attributes = 0;
  let p = at + first;
  while (p + 4 <= end) {
    const type = u32(b, p);
    if (type === 0xffffffff) break;
    if (p + 16 > end) return decline(t, nameStart);
    const length = u32(b, p + 4);
    if (length < 16 || length % 8 !== 0 || p + length > end) return decline(t, nameStart);
    const nonResident = b[p + 8] !== 0;
    const nameLength = b[p + 9];
    const nameOffset = u16(b, p + 10);
    if (nameLength && nameOffset + nameLength * 2 > length) return decline(t, nameStart);
    let valueLength = 0;
    let value = 0;
    if (!nonResident) {
      if (length < 0x18) return decline(t, nameStart);
      valueLength = u32(b, p + 0x10);
      const valueOffset = u16(b, p + 0x14);
      if (valueOffset + valueLength > length) return decline(t, nameStart);
      value = p + valueOffset;
    } else if (length < 0x40) return decline(t, nameStart);
    attributes++;
    switch (type) {
      case AttributeType.attributeList:
        if (baseIsZero) return decline(t, nameStart);
        break;
      case AttributeType.reparsePoint:
        return decline(t, nameStart);
      case AttributeType.standardInformation:
        if (!haveSi && !nonResident && valueLength >= 48) {
          haveSi = true;
          const si = t.si;
          const o = n * 8;
          for (let k = 0; k < 8; k++) si[o + k] = u32(b, value + k * 4);
          device = (u32(b, value + 32) & FileAttribute.device) !== 0;
        }
        break;
      case AttributeType.fileName:
        if (wantNames && !nonResident && valueLength >= 0x42 && 0x42 + b[value + 0x40] * 2 <= valueLength) {
          const name = decodeUtf16Units(b, value + 0x42, b[value + 0x40]);
          const parent = u32(b, value) + u16(b, value + 4) * 0x100000000;
          const slot = pool.add(name, b[value + 0x41], parent, u16(b, value + 6), u64(b, value + 0x30));
          const times = pool.times;
          for (let k = 0; k < 8; k++) times[slot * 8 + k] = u32(b, value + 8 + k * 4);
        }
        break;
      case AttributeType.data:
      case AttributeType.indexRoot: {
        const vcn = nonResident ? u64(b, p + 0x10) : 0;
        const attrSize = nonResident ? u64(b, p + 0x30) : valueLength;
        const nameAt = p + nameOffset;
        if (type === AttributeType.data && nameLength === 0) {
          if (vcn < dataVcn) {
            dataVcn = vcn;
            dataSize = attrSize;
          }
        } else if (type === AttributeType.indexRoot && nameLength === 4 && u16(b, nameAt) === 0x24 && u16(b, nameAt + 2) === 0x49 && u16(b, nameAt + 4) === 0x33 && u16(b, nameAt + 6) === 0x30) {
          indexRootSize = attrSize;
        } else {
          const name = decodeUtf16Units(b, nameAt, nameLength);
          const kind = type === AttributeType.data ? 'data' : 'index';
          streams ??= [];
          streamVcn ??= [];
          const i = streams.findIndex((x) => x.name === name && x.kind === kind);
          if (i < 0) {
            streams.push({ name, size: attrSize, kind });
            streamVcn.push(vcn);
          } else if (vcn < streamVcn[i]) {
            streams[i].size = attrSize;
            streamVcn[i] = vcn;
          }
        }
        break;
      }
    }
    p += length;
  }
  const inUse = (flags & 1) !== 0;
  const isDirectory = (flags & 2) !== 0 || indexRootSize >= 0;
  let bits = 0;
  if (inUse) bits |= RecordBit.inUse;
  if (isDirectory) bits |= RecordBit.isDirectory;
  if (dataSize >= 0) bits |= RecordBit.hasDefaultData;
  if (indexRootSize >= 0) bits |= RecordBit.hasIndexRoot;
  if (haveSi) bits |= RecordBit.hasSi;
  if (!inUse && baseIsZero && attributes > 0) bits |= RecordBit.deletedCandidate;
  if (wantNames) bits |= RecordBit.hasNames;
  t.bits[n] = bits;
  t.type[n] = isDirectory ? 1 : device && haveSi ? 3 : 0;
  t.sequence[n] = u16(b, at + 0x10);
  t.size[n] = isDirectory ? Math.max(indexRootSize, 0) : Math.max(dataSize, 0);
  t.nameStart[n] = nameStart;
  t.nameCount[n] = pool.length - nameStart;
  if (streams) t.streamMap.set(n, streams);
  t.state[n] = RecordState.ready;
  return RawResult.ready;
}
