/**
 * On-disk layout of the coldfix undo journal (`IMAGE.coldfix-journal`).
 *
 * Reference: docs/journal.md (the same tables, with the crash-safety argument).
 *
 *   0          4096                      4096+48+n (padded to 8)
 *   ┌──────────┬─────────────┬─────────┬─────────────┬─────────┬─ …
 *   │ header   │ record hdr  │ data    │ record hdr  │ data    │
 *   └──────────┴─────────────┴─────────┴─────────────┴─────────┴─ …
 *
 * The file is append-only: the header is written and fsynced once, then each
 * record is appended and fsynced before the image bytes it protects change.
 * Every record carries the journal id and a sequence number, and is covered by
 * two CRC-32C checksums (header and data), so a torn tail is recognised and a
 * damaged record in the middle cannot be mistaken for the end.
 */
import { defineStruct } from '../struct.js';
import { crc32c } from '../crc32.js';
import { CorruptError, LimitExceededError } from '../errors.js';
import { toSafeNumber } from '../safe-number.js';

export const JOURNAL_MAGIC = 'CFJOURN1';
export const JOURNAL_VERSION = 1;
export const JOURNAL_HEADER_SIZE = 4096;
/** Granularity of before-images: the first write to any byte of a page saves the whole page. */
export const JOURNAL_PAGE_SIZE = 4096;
/** Record data is split so no single record (and no allocation while reading) exceeds this. */
export const MAX_RECORD_DATA = 1 << 20;
export const RECORD_MAGIC = 0x524a4643; // 'CFJR' little-endian
export const RECORD_HEADER_SIZE = 48;
/** Bytes of the original image hashed at each end for the identity check. */
export const IDENTITY_SPAN = 4096;

export const RecordType = {
  /** Original bytes of [imageOffset, imageOffset + dataLength) before the first change. */
  beforeImage: 1,
  /** The image was resized from `imageOffset` (old size) to `value` (new size) bytes. */
  resize: 2,
  /** The session finished its changes and the image was fsynced; `value` = time (ms since 1970). */
  complete: 3,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export const ImageKind = { file: 0, blockDevice: 1 } as const;

/** Journal header, 4096 bytes at offset 0. All integers little-endian. */
export const JournalHeaderLayout = defineStruct('JournalHeader', JOURNAL_HEADER_SIZE, {
  magic: { offset: 0, type: 'ascii', size: 8 },
  version: { offset: 8, type: 'u32le' },
  headerSize: { offset: 12, type: 'u32le' },
  journalId: { offset: 16, type: 'bytes', size: 8 },
  originalSize: { offset: 24, type: 'u64le' },
  pageSize: { offset: 32, type: 'u32le' },
  imageKind: { offset: 36, type: 'u32le' },
  createdMs: { offset: 40, type: 'u64le' },
  device: { offset: 48, type: 'u64le' },
  inode: { offset: 56, type: 'u64le' },
  headSha256: { offset: 64, type: 'bytes', size: 32 },
  tailSha256: { offset: 96, type: 'bytes', size: 32 },
  pathLength: { offset: 128, type: 'u16le' },
  reserved: { offset: 130, type: 'u16le' },
  headerCrc32c: { offset: 132, type: 'u32le' },
  path: { offset: 136, type: 'bytes', size: JOURNAL_HEADER_SIZE - 136 },
});
export const MAX_PATH_BYTES = JOURNAL_HEADER_SIZE - 136;

/** Record header, 48 bytes, 8-byte aligned; `dataLength` bytes of data follow, padded to 8. */
export const RecordHeaderLayout = defineStruct('JournalRecordHeader', RECORD_HEADER_SIZE, {
  magic: { offset: 0, type: 'u32le' },
  type: { offset: 4, type: 'u16le' },
  reserved: { offset: 6, type: 'u16le' },
  sequence: { offset: 8, type: 'u32le' },
  dataLength: { offset: 12, type: 'u32le' },
  journalId: { offset: 16, type: 'bytes', size: 8 },
  imageOffset: { offset: 24, type: 'u64le' },
  value: { offset: 32, type: 'u64le' },
  dataCrc32c: { offset: 40, type: 'u32le' },
  headerCrc32c: { offset: 44, type: 'u32le' },
});

export interface JournalHeader {
  journalId: Uint8Array;
  originalSize: number;
  pageSize: number;
  imageKind: number;
  createdMs: number;
  /** st_dev / st_ino of the image when the journal was made (0 for block devices: device nodes change). */
  device: bigint;
  inode: bigint;
  headSha256: Uint8Array;
  tailSha256: Uint8Array;
  path: string;
}

export interface RecordHeader {
  type: RecordType;
  sequence: number;
  dataLength: number;
  imageOffset: number;
  value: number;
  dataCrc32c: number;
}

export function encodeJournalHeader(header: JournalHeader): Uint8Array {
  const pathBytes = new TextEncoder().encode(header.path);
  if (pathBytes.length > MAX_PATH_BYTES) {
    throw new LimitExceededError(`image path is ${pathBytes.length} bytes; the journal header holds at most ${MAX_PATH_BYTES}`, {
      code: 'JOURNAL_PATH_TOO_LONG',
      layer: 'journal',
      details: { path: header.path },
    });
  }
  const bytes = JournalHeaderLayout.encode({
    magic: JOURNAL_MAGIC,
    version: JOURNAL_VERSION,
    headerSize: JOURNAL_HEADER_SIZE,
    journalId: header.journalId,
    originalSize: BigInt(header.originalSize),
    pageSize: header.pageSize,
    imageKind: header.imageKind,
    createdMs: BigInt(header.createdMs),
    device: header.device,
    inode: header.inode,
    headSha256: header.headSha256,
    tailSha256: header.tailSha256,
    pathLength: pathBytes.length,
    path: pathBytes,
  });
  JournalHeaderLayout.encode({ headerCrc32c: crc32c(bytes) }, bytes);
  return bytes;
}

/**
 * Decodes and checks a journal header. Returns null when the bytes are not a
 * valid header (short, bad magic or bad checksum): the caller decides whether
 * that is a torn creation (harmless) or damage. Throws CorruptError for a
 * valid checksum over impossible values, and UnsupportedError-like CorruptError
 * for another version.
 */
export function decodeJournalHeader(bytes: Uint8Array, journalPath: string): JournalHeader | null {
  if (bytes.length < JOURNAL_HEADER_SIZE) return null;
  const raw = JournalHeaderLayout.decode(bytes);
  if (raw.magic !== JOURNAL_MAGIC) return null;
  const copy = bytes.slice(0, JOURNAL_HEADER_SIZE);
  JournalHeaderLayout.encode({ headerCrc32c: 0 }, copy);
  if (crc32c(copy) !== raw.headerCrc32c) return null;
  const fail = (what: string) =>
    new CorruptError(`${journalPath}: journal header ${what}`, { code: 'JOURNAL_HEADER_INVALID', layer: 'journal', offset: 0, details: { journal: journalPath } });
  if (raw.version !== JOURNAL_VERSION) throw fail(`has version ${raw.version}; this coldfix reads version ${JOURNAL_VERSION}`);
  if (raw.headerSize !== JOURNAL_HEADER_SIZE) throw fail(`size ${raw.headerSize} is not ${JOURNAL_HEADER_SIZE}`);
  if (raw.pageSize === 0 || raw.pageSize > MAX_RECORD_DATA || raw.pageSize % 512 !== 0) throw fail(`page size ${raw.pageSize} is invalid`);
  if (raw.pathLength > MAX_PATH_BYTES) throw fail(`path length ${raw.pathLength} exceeds ${MAX_PATH_BYTES}`);
  return {
    journalId: raw.journalId.slice(),
    originalSize: toSafeNumber(raw.originalSize, 'JournalHeader.originalSize', 'journal', 24),
    pageSize: raw.pageSize,
    imageKind: raw.imageKind,
    createdMs: toSafeNumber(raw.createdMs, 'JournalHeader.createdMs', 'journal', 40),
    device: raw.device,
    inode: raw.inode,
    headSha256: raw.headSha256.slice(),
    tailSha256: raw.tailSha256.slice(),
    path: new TextDecoder().decode(raw.path.subarray(0, raw.pathLength)),
  };
}

/** Total bytes a record with `dataLength` bytes of data occupies (header + data + padding to 8). */
export function recordSpan(dataLength: number): number {
  return RECORD_HEADER_SIZE + Math.ceil(dataLength / 8) * 8;
}

/** Encodes one whole record (header, data, zero padding) ready to append. */
export function encodeRecord(journalId: Uint8Array, record: Omit<RecordHeader, 'dataLength' | 'dataCrc32c'>, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(recordSpan(data.length));
  RecordHeaderLayout.encode(
    {
      magic: RECORD_MAGIC,
      type: record.type,
      sequence: record.sequence,
      dataLength: data.length,
      journalId,
      imageOffset: BigInt(record.imageOffset),
      value: BigInt(record.value),
      dataCrc32c: crc32c(data),
    },
    out,
  );
  RecordHeaderLayout.encode({ headerCrc32c: crc32c(out.subarray(0, 44)) }, out);
  out.set(data, RECORD_HEADER_SIZE);
  return out;
}

/**
 * Decodes a record header if it is intact and belongs to this journal
 * (magic, header checksum, journal id); null otherwise. Bounds are checked by
 * the reader, which knows the image and journal sizes.
 */
export function decodeRecordHeader(bytes: Uint8Array, journalId: Uint8Array): RecordHeader | null {
  if (bytes.length < RECORD_HEADER_SIZE) return null;
  const raw = RecordHeaderLayout.decode(bytes);
  if (raw.magic !== RECORD_MAGIC) return null;
  if (crc32c(bytes.subarray(0, 44)) !== raw.headerCrc32c) return null;
  for (let i = 0; i < 8; i++) if (raw.journalId[i] !== journalId[i]) return null;
  if (raw.imageOffset > BigInt(Number.MAX_SAFE_INTEGER) || raw.value > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return {
    type: raw.type as RecordType,
    sequence: raw.sequence,
    dataLength: raw.dataLength,
    imageOffset: Number(raw.imageOffset),
    value: Number(raw.value),
    dataCrc32c: raw.dataCrc32c,
  };
}
