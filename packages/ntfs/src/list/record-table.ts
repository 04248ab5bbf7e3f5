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
import type { DirectoryAttributeStore } from './directory-attributes.js';

/** Bits of `RecordTable.bits`. */
export const RecordBit = {
  inUse: 1,
  isDirectory: 2,
  hasDefaultData: 4,
  hasIndexRoot: 8,
  hasSi: 16,
  /** Not in use, FILE signature, decodes, base record, has attributes: listed with `deleted` (walk.ts scanUnallocated). */
  deletedCandidate: 32,
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

/** The per-record arrays of a RecordTable. */
export interface RecordArrays {
  state: Uint8Array;
  bits: Uint8Array;
  type: Uint8Array;
  sequence: Uint16Array;
  size: Float64Array;
  si: Uint32Array;
  nameStart: Int32Array;
  nameCount: Uint16Array;
}

function allocateArrays(n: number, shared: boolean): RecordArrays {
  const make = <T>(ctor: new (buffer: ArrayBufferLike) => T, bytesPer: number, count: number): T =>
    new ctor(shared ? new SharedArrayBuffer(bytesPer * count) : new ArrayBuffer(bytesPer * count));
  return {
    state: make(Uint8Array, 1, n),
    bits: make(Uint8Array, 1, n),
    type: make(Uint8Array, 1, n),
    sequence: make(Uint16Array, 2, n),
    size: make(Float64Array, 8, n),
    si: make(Uint32Array, 4, n * 8),
    nameStart: make(Int32Array, 4, n),
    nameCount: make(Uint16Array, 2, n),
  };
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
  /** The $I30 attributes of in-use directories, kept by the scan (or adopted from its worker) for the listing; null: none kept. */
  directoryAttributes: DirectoryAttributeStore | null = null;

  /**
   * `nameCapacity`: expected $FILE_NAME count (grown as needed). `arrays`: the per-record arrays to use
   * (a worker's view of a table whose arrays live in SharedArrayBuffers; see shared()).
   */
  constructor(readonly recordCount: number, nameCapacity = 1024, arrays?: RecordArrays) {
    this.names = new NamePool(Math.max(1024, nameCapacity));
    const a = arrays ?? allocateArrays(recordCount, false);
    this.state = a.state;
    this.bits = a.bits;
    this.type = a.type;
    this.sequence = a.sequence;
    this.size = a.size;
    this.si = a.si;
    this.nameStart = a.nameStart;
    this.nameCount = a.nameCount;
  }

  /** A table whose per-record arrays live in SharedArrayBuffers (a scan worker fills them; arrays() to send). */
  static shared(recordCount: number, nameCapacity = 1024): RecordTable {
    return new RecordTable(recordCount, nameCapacity, allocateArrays(recordCount, true));
  }

  /** The per-record arrays (shared ones go to a worker without a copy). */
  arrays(): RecordArrays {
    return { state: this.state, bits: this.bits, type: this.type, sequence: this.sequence, size: this.size, si: this.si, nameStart: this.nameStart, nameCount: this.nameCount };
  }

  entryType(n: number): EntryType {
    return ENTRY_TYPES[this.type[n]];
  }

  /** Named $DATA streams and non-$I30 index roots, as summarize() lists them. */
  streams(n: number): readonly StreamSummary[] {
    return this.streamMap.get(n) ?? NO_STREAMS;
  }

  reparse(n: number): ReparsePoint | null {
    return this.reparseMap.get(n) ?? null;
  }
}
