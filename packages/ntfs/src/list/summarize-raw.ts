/**
 * The listing's record decoder: straight from raw MFT records (fixups applied
 * in place) into RecordTable slots, reading only what a listing shows. It is
 * the fast twin of decodeRecord (codec/decode-record.ts) + summarize()
 * (walk.ts) and accepts only records on which both would agree without
 * anomalies: anything else (bad fixups, truncated, overrunning or misaligned
 * attributes, an $ATTRIBUTE_LIST, a $REPARSE_POINT) is declined and goes
 * through the full decoder, so its errors and anomalies are exactly the walk's.
 * Layout: libfsntfs "MFT entry", "MFT attribute"; ntfs-3g layout.h.
 *
 * Speed: one function runs a whole chunk (one optimisation, one loop), and
 * reads 16- and 32-bit fields as aligned Uint16Array/Uint32Array elements
 * (records start at multiples of 512 in the chunk, attributes at multiples of
 * 8 in their record; a record breaking that is declined). No allocation per
 * record except its names and named streams.
 */
import { AttributeType, FileAttribute } from '../layout/attribute-types.js';
import type { StreamSummary } from '../types.js';
import { RecordBit, RecordState, type RecordTable } from './record-table.js';
import { decodeUtf16Units } from '../codec/utf16.js';
import type { DirectoryAttributeStore } from './directory-attributes.js';

const TYPE_END = 0xffffffff;
const SI = AttributeType.standardInformation;
const FN = AttributeType.fileName;
const DATA = AttributeType.data;
const INDEX_ROOT = AttributeType.indexRoot;
const INDEX_ALLOCATION = AttributeType.indexAllocation;
const BITMAP = AttributeType.bitmap;
const ATTRIBUTE_LIST = AttributeType.attributeList;
const REPARSE = AttributeType.reparsePoint;
const DEVICE = FileAttribute.device;

/** Whether the record at `at` starts with "FILE". */
export function isFileRecord(b: Uint8Array, at: number): boolean {
  return b[at] === 0x46 && b[at + 1] === 0x49 && b[at + 2] === 0x4c && b[at + 3] === 0x45;
}

/**
 * Of the records summarizeChunk declined in `b` (records from `first`, `size` bytes each), those not
 * in use that start with FILE: deleted candidates for the full decoder.
 */
export function unallocatedAmong(declined: number[], b: Uint8Array, first: number, size: number): number[] {
  return declined.filter((n) => (b[(n - first) * size + 0x16] & 1) === 0 && isFileRecord(b, (n - first) * size));
}

/** Little-endian u64 from two u32 halves as a number, saturating at 2^53 - 1 (as decode-record.ts). */
function u64(lo: number, hi: number): number {
  return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + lo;
}

/** "FILE" as a little-endian u32. */
const FILE_MAGIC = 0x454c4946;

/**
 * Summarises records [first, first + count) held in `b` (record i at
 * `i * size`; `b.byteOffset` a multiple of 4, `size` of 512) into `t`,
 * applying each record's fixups in place once they all check. `names`: also
 * collect $FILE_NAMEs of records in use (unallocated records always get
 * theirs). Declined records keep state `none` (their slot untouched) and are
 * returned, in order.
 */
export function summarizeChunk(t: RecordTable, b: Uint8Array, first: number, count: number, size: number, names: boolean): number[] {
  // The loop gets every array as an argument: its first call runs before V8 has a feedback vector for
  // it, so property loads ahead of the loop had no feedback when it was optimised (a deopt and a
  // recompile on the second chunk).
  return summarizeRecords(
    t, b, new Uint16Array(b.buffer, b.byteOffset, b.length >> 1), new Uint32Array(b.buffer, b.byteOffset, b.length >> 2),
    first, count, size, names, t.names, t.bits, t.type, t.sequence, t.size, t.si, t.state, t.nameStart, t.nameCount, t.directoryAttributes,
  );
}

function summarizeRecords(
  t: RecordTable, b: Uint8Array, w16: Uint16Array, w32: Uint32Array, first: number, count: number, size: number, names: boolean,
  pool: RecordTable['names'], bitsOut: Uint8Array, typeOut: Uint8Array, sequenceOut: Uint16Array, sizeOut: Float64Array,
  si: Uint32Array, stateOut: Uint8Array, nameStartOut: Int32Array, nameCountOut: Uint16Array, directories: DirectoryAttributeStore | null,
): number[] {
  const declined: number[] = [];
  const sectors = size >> 9;
  for (let i = 0; i < count; i++) {
    const at = i * size;
    const n = first + i;
    const a16 = at >> 1;
    const a32 = at >> 2;
    if (w32[a32] !== FILE_MAGIC) {
      declined.push(n);
      continue;
    }
    // Update sequence array (codec/fixup.ts applyFixups: same checks).
    const usaOffset = w16[a16 + 2];
    const usaCount = w16[a16 + 3];
    if (usaCount < 1 || usaCount - 1 > sectors || usaOffset < 4 || usaOffset + usaCount * 2 > size || (usaOffset & 1) !== 0) {
      declined.push(n);
      continue;
    }
    const usa = a16 + (usaOffset >> 1);
    const check = w16[usa];
    let fixupsOk = true;
    for (let s = 1; s < usaCount; s++) {
      if (w16[a16 + s * 256 - 1] !== check) {
        fixupsOk = false;
        break;
      }
    }
    if (!fixupsOk) {
      declined.push(n);
      continue;
    }
    for (let s = 1; s < usaCount; s++) w16[a16 + s * 256 - 1] = w16[usa + s];
    const flags = w16[a16 + 0x0b];
    const bytesInUse = w32[a32 + 6];
    const firstAttr = w16[a16 + 0x0a];
    if (bytesInUse > size || firstAttr < 0x18 || firstAttr >= size || (firstAttr & 7) !== 0) {
      declined.push(n);
      continue;
    }
    const inUse = (flags & 1) !== 0;
    const wantNames = names || !inUse;
    const baseIsZero = w32[a32 + 8] === 0 && w16[a16 + 0x12] === 0;
    const end = at + bytesInUse;
    const nameStart = pool.length;
    let ok = true;
    let haveSi = false;
    let device = false;
    let indexRootSize = -1;
    let dataSize = -1;
    let dataVcn = Infinity;
    let streams: StreamSummary[] | null = null;
    let attributes = 0;
    // Where this record's $I30 attributes are, for the listing's DirectoryAttributeStore (-2: one seen twice).
    let rootAt = -1;
    let rootLength = 0;
    let allocationAt = -1;
    let allocationLength = 0;
    let bitmapAt = -1;
    let bitmapLength = 0;
    let p = at + firstAttr;
    while (p + 4 <= end) {
      const p32 = p >> 2;
      const type = w32[p32];
      if (type === TYPE_END) break;
      const length = w32[p32 + 1];
      if (p + 16 > end || length < 16 || (length & 7) !== 0 || p + length > end) {
        ok = false;
        break;
      }
      const nonResident = b[p + 8] !== 0;
      const nameLength = b[p + 9];
      const nameOffset = w16[(p >> 1) + 5];
      if (nameLength && nameOffset + nameLength * 2 > length) {
        ok = false;
        break;
      }
      let valueLength = 0;
      let value = 0;
      if (!nonResident) {
        if (length < 0x18) {
          ok = false;
          break;
        }
        valueLength = w32[p32 + 4];
        const valueOffset = w16[(p >> 1) + 10];
        if (valueOffset + valueLength > length) {
          ok = false;
          break;
        }
        value = p + valueOffset;
      } else if (length < 0x40) {
        ok = false;
        break;
      }
      attributes++;
      if (type === SI) {
        if (!haveSi && !nonResident && valueLength >= 48) {
          if ((value & 3) !== 0) {
            ok = false;
            break;
          }
          haveSi = true;
          const v32 = value >> 2;
          const o = n * 8;
          for (let k = 0; k < 8; k++) si[o + k] = w32[v32 + k];
          device = (w32[v32 + 8] & DEVICE) !== 0;
        }
      } else if (type === FN) {
        if (wantNames && !nonResident && valueLength >= 0x42 && 0x42 + b[value + 0x40] * 2 <= valueLength) {
          if ((value & 3) !== 0) {
            ok = false;
            break;
          }
          addName(pool, b, w32, value);
        }
      } else if (type === DATA || type === INDEX_ROOT) {
        const vcn = nonResident ? u64(w32[p32 + 4], w32[p32 + 5]) : 0;
        const attrSize = nonResident ? u64(w32[p32 + 12], w32[p32 + 13]) : valueLength;
        if (type === DATA && nameLength === 0) {
          if (vcn < dataVcn) {
            dataVcn = vcn;
            dataSize = attrSize;
          }
        } else if (type === INDEX_ROOT && isI30(b, p + nameOffset, nameLength)) {
          indexRootSize = attrSize;
          rootAt = rootAt === -1 ? p : -2;
          rootLength = length;
        } else streams = addStream(streams, b, p + nameOffset, nameLength, type === DATA ? 'data' : 'index', attrSize, vcn);
      } else if (type === INDEX_ALLOCATION || type === BITMAP) {
        if (isI30(b, p + nameOffset, nameLength)) {
          if (type === BITMAP) {
            bitmapAt = bitmapAt === -1 ? p : -2;
            bitmapLength = length;
          } else {
            allocationAt = allocationAt === -1 ? p : -2;
            allocationLength = length;
          }
        }
      } else if (type === REPARSE || (type === ATTRIBUTE_LIST && baseIsZero)) {
        ok = false;
        break;
      }
      p += length;
    }
    if (!ok) {
      pool.length = nameStart;
      pool.names.length = nameStart;
      declined.push(n);
      continue;
    }
    const isDirectory = (flags & 2) !== 0 || indexRootSize >= 0;
    let bits = 0;
    if (inUse) bits |= RecordBit.inUse;
    if (isDirectory) bits |= RecordBit.isDirectory;
    if (dataSize >= 0) bits |= RecordBit.hasDefaultData;
    if (indexRootSize >= 0) bits |= RecordBit.hasIndexRoot;
    if (haveSi) bits |= RecordBit.hasSi;
    if (!inUse && baseIsZero && attributes > 0) bits |= RecordBit.deletedCandidate;
    bitsOut[n] = bits;
    typeOut[n] = isDirectory ? 1 : device && haveSi ? 3 : 0;
    sequenceOut[n] = w16[a16 + 8];
    sizeOut[n] = isDirectory ? Math.max(indexRootSize, 0) : Math.max(dataSize, 0);
    nameStartOut[n] = nameStart;
    nameCountOut[n] = pool.length - nameStart;
    if (streams) t.streamMap.set(n, streams);
    stateOut[n] = RecordState.ready;
    if (directories && inUse && rootAt >= 0 && allocationAt !== -2 && bitmapAt !== -2) {
      directories.keep(n, b, rootAt, rootLength, allocationAt, allocationLength, bitmapAt, bitmapLength);
    }
  }
  return declined;
}

/** Appends the $FILE_NAME value at `value` (4-aligned, length checked) to the pool. */
function addName(pool: RecordTable['names'], b: Uint8Array, w32: Uint32Array, value: number): void {
  const v32 = value >> 2;
  const name = decodeUtf16Units(b, value + 0x42, b[value + 0x40]);
  const parent = w32[v32] + (w32[v32 + 1] & 0xffff) * 0x100000000;
  // A namespace byte above 3 reads as posix, as namespaceName (walk()) reads it.
  const namespace = b[value + 0x41];
  const slot = pool.add(name, namespace > 3 ? 0 : namespace, parent, w32[v32 + 1] >>> 16, u64(w32[v32 + 12], w32[v32 + 13]));
  const times = pool.times;
  for (let k = 0; k < 8; k++) times[slot * 8 + k] = w32[v32 + 2 + k];
}

/** Whether the attribute name at `at` is "$I30". */
function isI30(b: Uint8Array, at: number, length: number): boolean {
  return length === 4 && b[at] === 0x24 && b[at + 1] === 0 && b[at + 2] === 0x49 && b[at + 3] === 0 && b[at + 4] === 0x33 && b[at + 5] === 0 && b[at + 6] === 0x30 && b[at + 7] === 0;
}

/** A named $DATA or non-$I30 index root: the extent with the lowest VCN gives the size (summarize()). */
function addStream(streams: StreamSummary[] | null, b: Uint8Array, nameAt: number, nameLength: number, kind: 'data' | 'index', size: number, vcn: number): StreamSummary[] {
  const name = decodeUtf16Units(b, nameAt, nameLength);
  const list = streams ?? [];
  let found: StreamSummary | undefined;
  for (const s of list) {
    if (s.name === name && s.kind === kind) {
      found = s;
      break;
    }
  }
  if (!found) {
    const s: StreamSummary = { name, size, kind };
    streamVcn.set(s, vcn);
    list.push(s);
  } else if (vcn < (streamVcn.get(found) ?? Infinity)) {
    found.size = size;
    streamVcn.set(found, vcn);
  }
  return list;
}

/** Lowest VCN seen of each stream being summarised (weak: entries go with their stream). */
const streamVcn = new WeakMap<StreamSummary, number>();
