/**
 * Reads a journal back: validates the header, walks the records, and tells a
 * torn tail (a crash while appending: ignored, because the write it protected
 * never started) from damage in the middle (refused: a before-image would be
 * lost). Layout: journal-format.ts and docs/journal.md.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { CorruptError, ioErrorFrom } from '../errors.js';
import { crc32c } from '../crc32.js';
import {
  JOURNAL_HEADER_SIZE,
  MAX_RECORD_DATA,
  RECORD_HEADER_SIZE,
  RECORD_MAGIC,
  RecordType,
  decodeJournalHeader,
  decodeRecordHeader,
  recordSpan,
  type JournalHeader,
  type RecordHeader,
} from './journal-format.js';

export interface JournalRecordRef extends RecordHeader {
  /** Offset of the record header in the journal file. */
  journalOffset: number;
}

export interface JournalScan {
  journalPath: string;
  /** null when the header itself is torn (crash while creating the journal; no record follows). */
  header: JournalHeader | null;
  records: JournalRecordRef[];
  /** 'complete' when the last intact record is a completion marker. */
  state: 'unfinished' | 'complete';
  /** Size of the journal file in bytes. */
  bytes: number;
  /** Bytes after the last intact record (a torn append), 0 when the journal ends cleanly. */
  tornBytes: number;
}

/** Reads exactly `length` bytes at `position` or fewer at end of file. */
export async function readAt(handle: FileHandle, position: number, length: number, path: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  try {
    while (done < length) {
      const { bytesRead } = await handle.read(out, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
  } catch (error) {
    throw ioErrorFrom(error, path, `read ${length} bytes at offset ${position} of`);
  }
  return done === length ? out : out.subarray(0, done);
}

/**
 * Scans the journal at `journalPath`. Throws NotFoundError when it does not
 * exist, CorruptError when it is damaged anywhere but at its tail.
 */
export async function scanJournal(journalPath: string): Promise<JournalScan> {
  let handle: FileHandle;
  try {
    handle = await open(journalPath, 'r');
  } catch (error) {
    throw ioErrorFrom(error, journalPath, 'open journal');
  }
  try {
    return await scanOpenJournal(handle, journalPath);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

export async function scanOpenJournal(handle: FileHandle, journalPath: string): Promise<JournalScan> {
  const bytes = (await handle.stat()).size;
  const corrupt = (message: string, offset: number) =>
    new CorruptError(`${journalPath}: ${message}; refusing to guess. Keep the journal and the image and inspect them (docs/journal.md)`, {
      code: 'JOURNAL_DAMAGED',
      layer: 'journal',
      offset,
      details: { journal: journalPath },
    });
  const header = decodeJournalHeader(await readAt(handle, 0, JOURNAL_HEADER_SIZE, journalPath), journalPath);
  if (!header) {
    // The header is written and fsynced before any record, and records before
    // any image write: an unreadable header with nothing after it is a torn
    // creation and protects nothing. With bytes after it, it is damage.
    if (bytes <= JOURNAL_HEADER_SIZE) return { journalPath, header: null, records: [], state: 'unfinished', bytes, tornBytes: bytes };
    throw corrupt('the journal header is unreadable (bad magic or checksum) but records follow it', 0);
  }
  const records: JournalRecordRef[] = [];
  let position = JOURNAL_HEADER_SIZE;
  let sequence = 1;
  while (position < bytes) {
    const record = await readRecordAt(handle, journalPath, header, position, bytes);
    if (!record) break;
    if (record.sequence !== sequence) throw corrupt(`record at 0x${position.toString(16)} has sequence ${record.sequence}, expected ${sequence}`, position);
    checkRecordBounds(record, header, position, corrupt);
    records.push({ ...record, journalOffset: position });
    position += recordSpan(record.dataLength);
    sequence++;
  }
  if (position < bytes && (await findLaterRecord(handle, journalPath, header, position + 8, bytes))) {
    throw corrupt(`the record at 0x${position.toString(16)} is damaged but intact records follow it`, position);
  }
  const last = records[records.length - 1];
  return {
    journalPath,
    header,
    records,
    state: last?.type === RecordType.complete ? 'complete' : 'unfinished',
    bytes,
    tornBytes: bytes - Math.min(position, bytes),
  };
}

/** The record at `position` if wholly present with both checksums right, else null. */
async function readRecordAt(handle: FileHandle, path: string, header: JournalHeader, position: number, fileSize: number): Promise<RecordHeader | null> {
  const head = await readAt(handle, position, RECORD_HEADER_SIZE, path);
  const record = decodeRecordHeader(head, header.journalId);
  if (!record) return null;
  // Bound the allocation before reading the data (the header checksum could collide).
  if (record.dataLength > MAX_RECORD_DATA || position + recordSpan(record.dataLength) > fileSize) return null;
  const data = await readAt(handle, position + RECORD_HEADER_SIZE, record.dataLength, path);
  if (data.length !== record.dataLength || crc32c(data) !== record.dataCrc32c) return null;
  return record;
}

function checkRecordBounds(record: RecordHeader, header: JournalHeader, position: number, corrupt: (m: string, o: number) => Error): void {
  const at = `record ${record.sequence} at 0x${position.toString(16)}`;
  switch (record.type) {
    case RecordType.beforeImage:
      if (record.dataLength === 0 || record.imageOffset % header.pageSize !== 0 || record.imageOffset + record.dataLength > header.originalSize) {
        throw corrupt(`${at} covers [${record.imageOffset}, +${record.dataLength}) outside the original ${header.originalSize} bytes`, position);
      }
      return;
    case RecordType.resize:
    case RecordType.complete:
      if (record.dataLength !== 0) throw corrupt(`${at} (type ${record.type}) carries ${record.dataLength} data bytes`, position);
      return;
    default:
      throw corrupt(`${at} has unknown type ${record.type as number}`, position);
  }
}

/**
 * After a bad record, looks for any later intact record of this journal
 * (8-byte aligned). Appends are sequential, so only the last record can be
 * torn: finding one means the middle of the journal is damaged.
 */
async function findLaterRecord(handle: FileHandle, path: string, header: JournalHeader, from: number, fileSize: number): Promise<boolean> {
  const chunk = 1 << 20;
  for (let start = from; start + RECORD_HEADER_SIZE <= fileSize; start += chunk) {
    const bytes = await readAt(handle, start, Math.min(chunk + RECORD_HEADER_SIZE, fileSize - start), path);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i + RECORD_HEADER_SIZE <= bytes.length && i < chunk; i += 8) {
      if (view.getUint32(i, true) !== RECORD_MAGIC) continue;
      if (decodeRecordHeader(bytes.subarray(i, i + RECORD_HEADER_SIZE), header.journalId)) return true;
    }
  }
  return false;
}
