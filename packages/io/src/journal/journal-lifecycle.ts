/**
 * What happens to a journal after the session that wrote it: find it, roll
 * the image back from it, or commit (keep the changes, drop the journal).
 *
 * Rollback steps (each safe to repeat, so a crash during rollback is healed by
 * running rollback again; docs/journal.md §Crash safety):
 *   1. scan the journal (a torn tail record is ignored: its write never began);
 *   2. check the image is the one the journal was made for;
 *   3. truncate/extend the image back to its original size;
 *   4. write every before-image back, newest first, so the oldest (the true
 *      original) lands last;
 *   5. fsync the image;
 *   6. delete the journal and fsync its folder.
 */
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { CorruptError, NotFoundError, PreconditionError, ioErrorFrom } from '../errors.js';
import { crc32c } from '../crc32.js';
import { WritableFileSource } from '../file-source.js';
import { RECORD_HEADER_SIZE, RecordType, type JournalHeader } from './journal-format.js';
import { readAt, scanJournal, scanOpenJournal, type JournalScan } from './journal-reader.js';
import { fsyncParent, journalPathFor, pathExists, type JournalOptions } from './journal-path.js';
import { checkIdentity, type IdentityCheckOptions } from './image-identity.js';

export interface JournalInfo {
  journalPath: string;
  /** The image path recorded in the journal header (null if the header was torn at creation). */
  imagePath: string | null;
  /** 'complete': the changes finished and the image was fsynced; 'unfinished': stopped mid-way. */
  state: 'unfinished' | 'complete';
  /** Intact records of every kind. */
  records: number;
  /** Intact before-image records and the image bytes they hold. */
  beforeImages: number;
  beforeImageBytes: number;
  /** Journal file size in bytes. */
  bytes: number;
  /** Bytes of a torn last record (ignored). */
  tornBytes: number;
  originalSize: number | null;
  created: Date | null;
}

export interface RollbackResult {
  imagePath: string;
  journalPath: string;
  /** State of the journal before the rollback. */
  state: 'unfinished' | 'complete';
  restoredRecords: number;
  restoredBytes: number;
  /** Image size before the rollback and after it (the original size). */
  sizeBefore: number;
  originalSize: number;
  tornBytes: number;
  /** True when the header itself was torn at creation: nothing had been changed. */
  emptyJournal: boolean;
}

export interface CommitResult {
  imagePath: string;
  journalPath: string;
  records: number;
  bytes: number;
}

export type LifecycleOptions = JournalOptions & IdentityCheckOptions;

/** The journal for `imagePath`, or null when there is none. Throws CorruptError for a damaged one. */
export async function findJournal(imagePath: string, options: JournalOptions = {}): Promise<JournalInfo | null> {
  const journalPath = journalPathFor(imagePath, options.journalDir);
  if (!(await pathExists(journalPath))) return null;
  return describeScan(await scanJournal(journalPath));
}

export function describeScan(scan: JournalScan): JournalInfo {
  const before = scan.records.filter((r) => r.type === RecordType.beforeImage);
  return {
    journalPath: scan.journalPath,
    imagePath: scan.header?.path ?? null,
    state: scan.state,
    records: scan.records.length,
    beforeImages: before.length,
    beforeImageBytes: before.reduce((sum, r) => sum + r.dataLength, 0),
    bytes: scan.bytes,
    tornBytes: scan.tornBytes,
    originalSize: scan.header?.originalSize ?? null,
    created: scan.header ? new Date(scan.header.createdMs) : null,
  };
}

function notFound(imagePath: string, journalPath: string, journalDir: string | undefined): NotFoundError {
  const hint = journalDir === undefined ? '; if the session kept its journal elsewhere, pass the same journal folder (--journal-dir DIR)' : '';
  return new NotFoundError(`no coldfix journal for ${imagePath} (looked for ${journalPath}${hint})`, {
    code: 'JOURNAL_NOT_FOUND',
    layer: 'journal',
    details: { image: imagePath, journal: journalPath },
  });
}

/**
 * Restores `imagePath` to its state before the journaled session and deletes
 * the journal. Idempotent. Throws NotFoundError (no journal), CorruptError
 * (journal damaged before its tail), PreconditionError JOURNAL_WRONG_IMAGE.
 */
export async function rollbackImage(imagePath: string, options: LifecycleOptions = {}): Promise<RollbackResult> {
  const journalPath = journalPathFor(imagePath, options.journalDir);
  if (!(await pathExists(journalPath))) throw notFound(imagePath, journalPath, options.journalDir);
  const scan = await scanJournal(journalPath);
  if (!scan.header) {
    await removeJournal(journalPath);
    return { imagePath, journalPath, state: scan.state, restoredRecords: 0, restoredBytes: 0, sizeBefore: -1, originalSize: -1, tornBytes: scan.tornBytes, emptyJournal: true };
  }
  const file = await WritableFileSource.openWritable(imagePath);
  try {
    return await applyRollback(file, imagePath, scan as JournalScan & { header: JournalHeader }, options);
  } finally {
    await file.close();
  }
}

/** Steps 2–6 over an already open image (shared with JournaledFile.rollback). */
export async function applyRollback(
  file: WritableFileSource,
  imagePath: string,
  scan: JournalScan & { header: JournalHeader },
  options: IdentityCheckOptions = {},
): Promise<RollbackResult> {
  const { header, journalPath } = scan;
  let journal: FileHandle;
  try {
    journal = await open(journalPath, 'r');
  } catch (error) {
    throw ioErrorFrom(error, journalPath, 'open journal');
  }
  const sizeBefore = file.size;
  let restoredRecords = 0;
  let restoredBytes = 0;
  try {
    await checkIdentity(file, imagePath, file.isBlockDevice, scan, journal, options);
    if (file.size !== header.originalSize) await file.resize(header.originalSize);
    for (let i = scan.records.length - 1; i >= 0; i--) {
      const record = scan.records[i];
      if (record.type !== RecordType.beforeImage) continue;
      const data = await readAt(journal, record.journalOffset + RECORD_HEADER_SIZE, record.dataLength, journalPath);
      // Re-checked: the journal was read once during the scan and could have changed since.
      if (data.length !== record.dataLength || crc32c(data) !== record.dataCrc32c) {
        throw new CorruptError(`${journalPath}: record ${record.sequence} changed between scan and rollback`, {
          code: 'JOURNAL_DAMAGED',
          layer: 'journal',
          offset: record.journalOffset,
          details: { journal: journalPath },
        });
      }
      await file.write(record.imageOffset, data);
      restoredRecords++;
      restoredBytes += data.length;
    }
    await file.flush();
  } finally {
    await journal.close().catch(() => undefined);
  }
  await removeJournal(journalPath);
  return { imagePath, journalPath, state: scan.state, restoredRecords, restoredBytes, sizeBefore, originalSize: header.originalSize, tornBytes: scan.tornBytes, emptyJournal: false };
}

/**
 * Keeps the changes: deletes a COMPLETE journal. Refuses an unfinished one
 * (PreconditionError JOURNAL_UNFINISHED): the session stopped mid-way and only
 * rollback is safe. Throws NotFoundError when there is no journal.
 */
export async function commitImage(imagePath: string, options: JournalOptions = {}): Promise<CommitResult> {
  const journalPath = journalPathFor(imagePath, options.journalDir);
  if (!(await pathExists(journalPath))) throw notFound(imagePath, journalPath, options.journalDir);
  const scan = await scanJournal(journalPath);
  if (scan.state !== 'complete') {
    throw new PreconditionError(
      `journal ${journalPath} is unfinished: the session changing ${imagePath} stopped before completing (crash or kill), so the image may be half-changed. Only rollback is safe: coldfix rollback ${imagePath}${options.journalDir ? ` --journal-dir ${options.journalDir}` : ''}`,
      { code: 'JOURNAL_UNFINISHED', layer: 'journal', details: { image: imagePath, journal: journalPath } },
    );
  }
  await removeJournal(journalPath);
  return { imagePath, journalPath, records: scan.records.length, bytes: scan.bytes };
}

/** Reads the journal of an open session (for JournaledFile.rollback). */
export async function scanHandle(handle: FileHandle, journalPath: string): Promise<JournalScan> {
  return scanOpenJournal(handle, journalPath);
}

async function removeJournal(journalPath: string): Promise<void> {
  try {
    await unlink(journalPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code !== 'ENOENT') throw ioErrorFrom(error, journalPath, 'delete journal');
  }
  await fsyncParent(journalPath);
}
