/**
 * Compact per-record state of a listing: what `summarize()` (walk.ts) derives
 * from a record, kept in typed arrays indexed by record number so a 200,000
 * record volume costs a few MiB and no per-record objects (the walk's decoded
 * attributes, BigInt FILETIMEs and entry objects made GC dominate big walks).
 * Rare things (named streams, reparse points, decode errors) live in maps.
 *
 * FILETIMEs are kept as two unsigned 32-bit halves: `si[n * 8 + 2 * k]` is the
 * low half and `si[n * 8 + 2 * k + 1]` the high half of time k of record n,
 * k = 0 created, 1 modified, 2 MFT modified, 3 accessed (the $SI order).
 */
import type { NamespaceName } from '../layout/attribute-types.js';
import type { ReparsePoint } from '../layout/reparse-point.js';
import type { EntryType, StreamSummary } from '../types.js';

/** Bits of `RecordTable.bits`. */
export const RecordBit = {
  inUse: 1,
  isDirectory: 2,
  hasDefaultData: 4,
  hasIndexRoot: 8,
  hasSi: 16,
  /** Not in use, FILE signature, decodes, base record, has attributes: listed with `deleted` (walk.ts scanUnallocated). */
  deletedCandidate: 32,
  /** Names were collected for this record. */
  hasNames: 64,
} as const;

/** `RecordTable.state` values. */
export const RecordState = {
  /** Not looked at (or not a FILE record when scanning unallocated ones). */
  none: 0,
  /** Summarised into the arrays. */
  ready: 1,
  /** Needs the full decoder (attribute list, reparse point, anomalies): resolved on demand. */
  slow: 2,
  /** The full decoder throws for it; `errors` holds the error. */
  error: 3,
} as const;

export const ENTRY_TYPES: readonly EntryType[] = ['file', 'dir', 'link', 'other'];
export const NAMESPACES: readonly NamespaceName[] = ['posix', 'win32', 'dos', 'win32+dos'];
const NO_STREAMS: readonly StreamSummary[] = Object.freeze([]) as readonly StreamSummary[];

/**
 * $FILE_NAME attributes of listed records, appended record by record (a
 * record's names are contiguous): name, namespace, parent reference, the four
 * times (halves, as `si`) and the cached data size.
 */
export class NamePool {
  length = 0;
  names: string[] = [];
  namespace: Uint8Array;
  parent: Float64Array;
  parentSequence: Uint16Array;
  dataSize: Float64Array;
  times: Uint32Array;

  constructor(capacity = 1024) {
    this.namespace = new Uint8Array(capacity);
    this.parent = new Float64Array(capacity);
    this.parentSequence = new Uint16Array(capacity);
    this.dataSize = new Float64Array(capacity);
    this.times = new Uint32Array(capacity * 8);
  }

  /** Reserves one slot and returns its index. */
  add(name: string, namespace: number, parent: number, parentSequence: number, dataSize: number): number {
    const i = this.length++;
    if (i === this.namespace.length) this.grow();
    this.names.push(name);
    this.namespace[i] = namespace;
    this.parent[i] = parent;
    this.parentSequence[i] = parentSequence;
    this.dataSize[i] = dataSize;
    return i;
  }

  private grow(): void {
    const n = Math.ceil(this.namespace.length * 1.5) + 1024;
    const grow = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: T, size: number): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a as never);
      return b;
    };
    this.namespace = grow(this.namespace, n);
    this.parent = grow(this.parent, n);
    this.parentSequence = grow(this.parentSequence, n);
    this.dataSize = grow(this.dataSize, n);
    this.times = grow(this.times, n * 8);
  }
}

export class RecordTable {
  readonly state: Uint8Array;
  readonly bits: Uint8Array;
  /** Index into ENTRY_TYPES. */
  readonly type: Uint8Array;
  readonly sequence: Uint16Array;
  /** Size as fls shows it: unnamed $DATA for files, the $I30 $INDEX_ROOT for directories. */
  readonly size: Float64Array;
  readonly si: Uint32Array;
  /** First NamePool slot of the record's names, and how many. */
  readonly nameStart: Int32Array;
  readonly nameCount: Uint16Array;
  readonly names: NamePool;
  readonly streamMap = new Map<number, StreamSummary[]>();
  readonly reparseMap = new Map<number, ReparsePoint>();
  readonly errors = new Map<number, Error>();

  /** `nameCapacity`: expected $FILE_NAME count (grown as needed). */
  constructor(readonly recordCount: number, nameCapacity = 1024) {
    this.names = new NamePool(Math.max(1024, nameCapacity));
    this.state = new Uint8Array(recordCount);
    this.bits = new Uint8Array(recordCount);
    this.type = new Uint8Array(recordCount);
    this.sequence = new Uint16Array(recordCount);
    this.size = new Float64Array(recordCount);
    this.si = new Uint32Array(recordCount * 8);
    this.nameStart = new Int32Array(recordCount);
    this.nameCount = new Uint16Array(recordCount);
  }

  /** Bytes of typed-array state per record (for the memory cap). */
  static readonly bytesPerRecord = 1 + 1 + 1 + 2 + 8 + 32 + 4 + 2;

  entryType(n: number): EntryType {
    return ENTRY_TYPES[this.type[n]];
  }

  has(n: number, bit: number): boolean {
    return (this.bits[n] & bit) !== 0;
  }

  /** Named $DATA streams and non-$I30 index roots, as summarize() lists them. */
  streams(n: number): readonly StreamSummary[] {
    return this.streamMap.get(n) ?? NO_STREAMS;
  }

  reparse(n: number): ReparsePoint | null {
    return this.reparseMap.get(n) ?? null;
  }
}
