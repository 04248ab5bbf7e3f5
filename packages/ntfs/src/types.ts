/** Public result types of NtfsVolume. Times are FILETIME bigints (100 ns since 1601, UTC). */
import type { NamespaceName } from './layout/attribute-types.js';
import type { FileNameAttribute } from './layout/file-name.js';
import type { StandardInformation } from './layout/standard-information.js';
import type { ReparsePoint } from './layout/reparse-point.js';
import type { FileRecord } from './record-view.js';

/** An $I30 entry as stored in the parent's index (times and sizes are the cached copies). */
export interface DirEntry {
  name: string;
  namespace: NamespaceName;
  recordNumber: number;
  sequence: number;
  parentRecordNumber: number;
  parentSequence: number;
  isDirectory: boolean;
  created: bigint;
  modified: bigint;
  mftModified: bigint;
  accessed: bigint;
  allocatedSize: number;
  size: number;
  fileAttributes: number;
  reparseTag: number;
  /** Where the entry sits: node VCN (null = $INDEX_ROOT) and byte offset inside that node's buffer. */
  location: { vcn: number | null; offset: number };
}

/** The result of resolve(): the record of the named file. */
export interface NtfsEntry {
  /** Normalised path from the root, '/'-separated, with the names as stored. */
  path: string;
  name: string;
  recordNumber: number;
  sequence: number;
  isDirectory: boolean;
  record: FileRecord;
  /** The parent's index entry (null for the root). */
  dirEntry: DirEntry | null;
}

export type EntryType = 'file' | 'dir' | 'link' | 'other';

export interface StreamSummary {
  name: string;
  size: number;
  /** 'data' for named $DATA; 'index' for named non-$I30 index roots (as fls lists them). */
  kind: 'data' | 'index';
}

export interface WalkEntry {
  /** Path from the volume root, '/'-separated, without a leading slash (as fls -p prints it). */
  path: string;
  name: string;
  namespace: NamespaceName;
  recordNumber: number;
  /** Sequence number of the record (for deleted records, the one on disk now). */
  sequence: number;
  parentRecordNumber: number;
  type: EntryType;
  isDirectory: boolean;
  deleted: boolean;
  /** Deleted name whose record has been reused by another file. */
  reallocated: boolean;
  /** Found through the MFT only ($OrphanFiles). */
  orphan: boolean;
  /** Size of the unnamed $DATA for files; for directories the $I30 $INDEX_ROOT size, as fls shows. */
  size: number;
  /** $STANDARD_INFORMATION times (null when the record has none). */
  si: StandardInformation | null;
  names: FileNameAttribute[];
  streams: StreamSummary[];
  reparse: ReparsePoint | null;
  /** Whether the record has an unnamed $DATA attribute (fls lists no plain line without one). */
  hasDefaultData: boolean;
  /** Whether the directory has an $I30 index root. */
  hasIndexRoot: boolean;
}

export interface RecordDetails {
  recordNumber: number;
  sequence: number;
  inUse: boolean;
  isDirectory: boolean;
  linkCount: number;
  lsn: bigint;
  baseRecordNumber: number;
  extensionRecords: number[];
  standardInformation: StandardInformation | null;
  fileNames: FileNameAttribute[];
  reparse: ReparsePoint | null;
  attributes: Array<{
    type: number;
    typeName: string;
    name: string;
    id: number;
    recordNumber: number;
    offset: number;
    length: number;
    resident: boolean;
    flags: number;
    compressed: boolean;
    sparse: boolean;
    encrypted: boolean;
    size: number;
    allocatedSize?: number;
    initializedSize?: number;
    lowestVcn?: number;
    highestVcn?: number;
    compressionUnit?: number;
    runs?: Array<{ vcn: number; lcn: number | null; length: number }>;
    runlistError?: string;
  }>;
  anomalies: string[];
}
