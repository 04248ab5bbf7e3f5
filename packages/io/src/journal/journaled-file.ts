/**
 * JournaledFile: the only way coldfix writes an image file or block device.
 *
 * Before the first change to any page (4 KiB) inside the image's original
 * size, the page's original bytes are appended to a sidecar journal and the
 * journal is fsynced; only then is the image written. So at any instant —
 * including a crash — every original byte that the image no longer holds is
 * in an intact journal record, and `rollback` restores the image exactly.
 * The format and the argument step by step: docs/journal.md.
 */
import { randomBytes } from 'node:crypto';
import { access, constants, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { checkRange, type ResizableByteSource, type SourceInfo } from '../byte-source.js';
import { IoError, OutOfRangeError, PreconditionError, ioErrorFrom } from '../errors.js';
import { WritableFileSource } from '../file-source.js';
import { JOURNAL_HEADER_SIZE, JOURNAL_PAGE_SIZE, MAX_RECORD_DATA, RecordType, encodeJournalHeader, encodeRecord, type JournalHeader } from './journal-format.js';
import { canonicalImagePath, checkJournalDir, fsyncParent, journalPathFor, pathExists, type JournalOptions } from './journal-path.js';
import { takeIdentity } from './image-identity.js';
import { applyRollback, scanHandle } from './journal-lifecycle.js';
import { pendingError, writeAll } from './journal-io.js';

export interface JournaledFileStats {
  bytesRead: number;
  reads: number;
  bytesWritten: number;
  writes: number;
  /** Records appended to the journal and the journal's size in bytes. */
  journalRecords: number;
  journalBytes: number;
  /** Pages whose before-image is in the journal. */
  pagesJournaled: number;
  journalSyncs: number;
}

interface OpenJournal {
  handle: FileHandle;
  header: JournalHeader;
  /** Append position (= journal size). */
  position: number;
  nextSequence: number;
}

/** Before-images are batched up to this many bytes per append + fsync (bounds memory for huge writes). */
const APPEND_BATCH = 8 << 20;

export class JournaledFile implements ResizableByteSource {
  readonly writable = true as const;
  readonly blockSize: number;
  readonly originalSize: number;
  private journal: OpenJournal | null = null;
  private readonly journaledPages = new Set<number>();
  private failure: unknown = null;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly counters = { journalRecords: 0, journalBytes: 0, journalSyncs: 0 };
  /** Write-behind (see writeBehind): writes not yet applied to the file, and their before-images not yet appended. */
  private deferring = false;
  private deferred: { offset: number; data: Uint8Array }[] = [];
  private deferredBytes = 0;
  private readonly unsynced: { pages: number[]; bytes: number } = { pages: [], bytes: 0 };

  private constructor(
    private readonly file: WritableFileSource,
    /** Canonical image path (symlinks resolved). */
    readonly path: string,
    readonly journalPath: string,
    private readonly journalDir: string | undefined,
  ) {
    this.blockSize = file.blockSize;
    this.originalSize = file.size;
  }

  /**
   * Opens `imagePath` read-write through a journal. Throws PreconditionError
   * JOURNAL_PENDING when a journal for it exists (run `coldfix rollback` or
   * `coldfix commit` first), JOURNAL_DIR_REQUIRED for a block device without
   * `journalDir`, JOURNAL_DIR_NOT_WRITABLE when the journal's folder is
   * read-only; NotFoundError / IoError naming the path otherwise.
   */
  static async open(imagePath: string, options: JournalOptions = {}): Promise<JournaledFile> {
    if (options.journalDir !== undefined) await checkJournalDir(options.journalDir);
    const journalPath = journalPathFor(imagePath, options.journalDir);
    if (await pathExists(journalPath)) throw pendingError(imagePath, journalPath, options.journalDir);
    // A journal beside the image blocks a session that keeps its journal elsewhere too.
    const besidePath = journalPathFor(imagePath);
    if (options.journalDir !== undefined && (await pathExists(besidePath))) throw pendingError(imagePath, besidePath, undefined);
    const file = await WritableFileSource.openWritable(imagePath);
    try {
      if (file.isBlockDevice && options.journalDir === undefined) {
        throw new PreconditionError(`${imagePath} is a block device: its journal cannot live in /dev; pass a journal folder (--journal-dir DIR) on another disk`, {
          code: 'JOURNAL_DIR_REQUIRED',
          layer: 'journal',
          details: { image: imagePath },
        });
      }
      try {
        await access(dirname(journalPath), constants.W_OK);
      } catch (error) {
        throw new PreconditionError(`cannot create the undo journal ${journalPath}: its folder is not writable (${(error as NodeJS.ErrnoException).code}); pass a journal folder (--journal-dir DIR)`, {
          code: 'JOURNAL_DIR_NOT_WRITABLE',
          layer: 'journal',
          details: { image: imagePath, journal: journalPath },
          cause: error,
        });
      }
    } catch (error) {
      await file.close();
      throw error;
    }
    return new JournaledFile(file, canonicalImagePath(imagePath), journalPath, options.journalDir);
  }

  get size(): number {
    return this.file.size;
  }

  get stats(): JournaledFileStats {
    const { bytesRead, reads, bytesWritten, writes } = this.file.stats;
    return { bytesRead, reads, bytesWritten, writes, ...this.counters, pagesJournaled: this.journaledPages.size };
  }

  /** True once a journal file exists for this session. */
  get hasJournal(): boolean {
    return this.journal !== null;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    this.checkOpen();
    const out = await this.file.read(offset, length);
    this.overlayDeferred(offset, out);
    return out;
  }

  /** Writes land in the file itself (the journal keeps before-images), so reads pass straight through (plus any deferred write). */
  async readInto(offset: number, target: Uint8Array): Promise<void> {
    this.checkOpen();
    await this.file.readInto(offset, target);
    this.overlayDeferred(offset, target);
  }

  /**
   * Write-behind: while on, write() journals in memory and defers the file write; flush() (and
   * complete(), resize(), close()) then appends every deferred before-image with ONE fsync, and only
   * after it writes the deferred data, in order. The guarantee is unchanged (no byte of the image
   * changes before its before-image is durable); a transaction of many small writes to new pages
   * costs one journal fsync instead of one per write. Reads see deferred writes. Deferred data is
   * bounded: past 8 MiB it is applied at once. Turning it off applies what is deferred.
   */
  writeBehind(on: boolean): Promise<void> {
    return this.exclusive(async () => {
      this.checkOpen();
      if (!on) await this.drain();
      this.deferring = on;
    });
  }

  /**
   * Creates the journal now (header written and fsynced, folder fsynced) instead of at the first
   * change, so that a caller can overlap that with other work before its first write. Changes no
   * image byte; a session that then writes nothing is left with an empty journal: roll it back
   * (which removes it) rather than keep it.
   */
  prepare(): Promise<void> {
    return this.exclusive(async () => {
      this.checkUsable();
      await this.ensureJournal();
    });
  }

  /** Journals the original bytes of every not-yet-journaled page in the range, then writes (or defers the write). */
  write(offset: number, data: Uint8Array): Promise<void> {
    return this.exclusive(async () => {
      this.checkUsable();
      checkRange(offset, data.length, this.file.size, 'journal');
      if (data.length === 0) return;
      await this.saveBeforeImages(offset, offset + data.length);
      if (!this.deferring) {
        await this.drain();
        await this.file.write(offset, data);
        return;
      }
      this.deferred.push({ offset, data: data.slice() });
      this.deferredBytes += data.length;
      if (this.deferredBytes >= APPEND_BATCH) await this.drain();
    });
  }

  /** Grows or shrinks a regular file; bytes cut off inside the original size are journaled first. */
  resize(newSize: number): Promise<void> {
    return this.exclusive(async () => {
      this.checkUsable();
      if (!Number.isSafeInteger(newSize) || newSize < 0) {
        throw new OutOfRangeError(`${this.path}: cannot resize to ${newSize} bytes`, { code: 'OUT_OF_RANGE', layer: 'journal', details: { newSize } });
      }
      if (this.file.isBlockDevice) throw new IoError(`${this.path}: a block device cannot be resized`, { code: 'IO_RESIZE_DEVICE', layer: 'journal' });
      await this.drain();
      const oldSize = this.file.size;
      if (newSize === oldSize) return;
      if (newSize < oldSize) await this.saveBeforeImages(newSize, oldSize);
      // The cut-off bytes' before-images are durable before the resize record and the truncation.
      await this.appendUnsynced();
      const journal = await this.ensureJournal();
      await this.append([encodeRecord(journal.header.journalId, { type: RecordType.resize, sequence: journal.nextSequence, imageOffset: oldSize, value: newSize })]);
      await this.file.resize(newSize);
    });
  }

  /**
   * No fsync here: under an undo journal the image's bytes only need to be durable when the
   * session is declared done, and `complete()` fsyncs the image before it writes the completion
   * record. Until then a crash is undone by rollback whether or not the writes reached the disk
   * (every before-image is fsynced before its write). Upper layers flush after each transaction;
   * an fsync per transaction cost a repair ~10 ms each and protected nothing.
   */
  flush(): Promise<void> {
    return this.exclusive(async () => {
      this.checkOpen();
      await this.drain();
    });
  }

  /**
   * Marks the session's changes done: fsyncs the image, then appends and
   * fsyncs a completion record. The journal is kept as the undo record until
   * `commitImage` or a rollback. A session that wrote nothing has no journal.
   */
  complete(): Promise<void> {
    return this.exclusive(async () => {
      this.checkUsable();
      await this.drain();
      await this.file.flush();
      if (!this.journal) return;
      await this.append([encodeRecord(this.journal.header.journalId, { type: RecordType.complete, sequence: this.journal.nextSequence, imageOffset: 0, value: Date.now() })]);
    });
  }

  /**
   * Undoes every change of this session and deletes the journal; the file
   * stays open at its original contents. Allowed after a failed write.
   */
  rollback(): Promise<void> {
    return this.exclusive(async () => {
      this.checkOpen();
      // Deferred writes never reached the file, and their before-images never reached the journal.
      this.dropDeferred();
      const journal = this.journal;
      if (!journal) return;
      const scan = await scanHandle(journal.handle, this.journalPath);
      await journal.handle.close().catch(() => undefined);
      this.journal = null;
      if (!scan.header) throw new Error('unreachable: a session journal always has a header');
      // The file is the one this session opened: the inode check cannot fail, the content check still runs.
      await applyRollback(this.file, this.path, { ...scan, header: scan.header });
      this.journaledPages.clear();
      this.failure = null;
    });
  }

  /** Closes the image and the journal. The journal (if any) stays on disk. */
  close(): Promise<void> {
    return this.exclusive(async () => {
      if (this.closed) return;
      // Writes deferred and never flushed are applied (as they would have been without write-behind),
      // unless the session failed.
      if (this.failure === null) await this.drain();
      else this.dropDeferred();
      this.closed = true;
      await this.journal?.handle.close().catch(() => undefined);
      await this.file.close();
    });
  }

  describe(): SourceInfo {
    return {
      kind: 'journaled',
      identity: this.path,
      details: { journal: this.journalPath, originalSize: this.originalSize, journalRecords: this.counters.journalRecords },
      parent: this.file.describe(),
    };
  }

  /**
   * Marks every page of the range not journaled yet as pending in `unsynced`; appendUnsynced reads
   * their original bytes and appends them (at once without write-behind, at the next drain with
   * it). Pages are marked journaled here: a later write to them adds nothing, and no write reaches
   * the file before their records are durable (drain appends first), so at append time a pending
   * page still holds its original bytes.
   */
  private async saveBeforeImages(start: number, end: number): Promise<void> {
    const limit = Math.min(end, this.originalSize);
    if (start >= limit) return;
    const pageSize = JOURNAL_PAGE_SIZE;
    const pending = this.unsynced;
    const lastPage = Math.floor((limit - 1) / pageSize);
    for (let page = Math.floor(start / pageSize); page <= lastPage; page++) {
      if (this.journaledPages.has(page)) continue;
      pending.pages.push(page);
      this.journaledPages.add(page);
      pending.bytes += pageSize;
      if (pending.bytes >= APPEND_BATCH) {
        if (this.deferring) await this.drain();
        else await this.appendUnsynced();
      }
    }
    if (!this.deferring) await this.appendUnsynced();
  }

  /**
   * Appends (one write, one fsync) the before-images of the pending pages: consecutive pages form
   * one record (up to MAX_RECORD_DATA), read from the file in one read each.
   */
  private async appendUnsynced(): Promise<void> {
    const pending = this.unsynced;
    if (!pending.pages.length) return;
    const pages = pending.pages.splice(0).sort((a, b) => a - b);
    pending.bytes = 0;
    const records: Uint8Array[] = [];
    try {
      const journal = await this.ensureJournal();
      const pageSize = JOURNAL_PAGE_SIZE;
      for (let i = 0; i < pages.length; ) {
        let j = i + 1;
        while (j < pages.length && pages[j] === pages[j - 1] + 1 && (j + 1 - i) * pageSize <= MAX_RECORD_DATA) j++;
        const from = pages[i] * pageSize;
        const to = Math.min((pages[j - 1] + 1) * pageSize, this.originalSize);
        const original = await this.file.read(from, to - from);
        records.push(encodeRecord(journal.header.journalId, { type: RecordType.beforeImage, sequence: journal.nextSequence + records.length, imageOffset: from, value: 0 }, original));
        i = j;
      }
    } catch (error) {
      // These pages count as journaled but their before-images are not: no further write may go through.
      this.failure ??= error;
      throw error;
    }
    await this.append(records);
  }

  /** Makes every deferred before-image durable, then applies the deferred writes in order. */
  private async drain(): Promise<void> {
    // After a failed append, deferred writes may belong to before-images that never became durable:
    // they must never reach the image (flush() and writeBehind(false) only check that the file is open).
    if (this.failure !== null) {
      this.dropDeferred();
      this.checkUsable();
    }
    await this.appendUnsynced();
    const writes = coalesce(this.deferred);
    for (const w of writes) {
      try {
        await this.file.write(w.offset, w.data);
      } catch (error) {
        this.failure = error;
        throw error;
      }
    }
    // Forgotten only once on the file: a read issued meanwhile (not queued behind this drain) may have
    // read the file before these writes landed, and overlays them from here.
    this.deferred = [];
    this.deferredBytes = 0;
  }

  /** Forgets deferred writes and their in-memory before-images (their pages were never written). */
  private dropDeferred(): void {
    const pending = this.unsynced;
    for (const page of pending.pages) this.journaledPages.delete(page);
    pending.pages.length = 0;
    pending.bytes = 0;
    this.deferred = [];
    this.deferredBytes = 0;
  }

  /** Copies the deferred writes overlapping [offset, offset + out.length) over `out`, in write order. */
  private overlayDeferred(offset: number, out: Uint8Array): void {
    const end = offset + out.length;
    for (const w of this.deferred) {
      const from = Math.max(offset, w.offset);
      const to = Math.min(end, w.offset + w.data.length);
      if (to > from) out.set(w.data.subarray(from - w.offset, to - w.offset), from - offset);
    }
  }

  /** Appends whole records at the end of the journal and fsyncs it. Any failure poisons the session. */
  private async append(records: Uint8Array[]): Promise<void> {
    const journal = this.journal!;
    const total = records.reduce((sum, r) => sum + r.length, 0);
    const buffer = new Uint8Array(total);
    let at = 0;
    for (const record of records) {
      buffer.set(record, at);
      at += record.length;
    }
    try {
      await writeAll(journal.handle, buffer, journal.position);
      await journal.handle.sync();
    } catch (error) {
      this.failure = error;
      throw ioErrorFrom(error, this.journalPath, 'append to journal');
    }
    journal.position += total;
    journal.nextSequence += records.length;
    this.counters.journalRecords += records.length;
    this.counters.journalBytes = journal.position;
    this.counters.journalSyncs++;
  }

  /** Creates the journal on the first change: header written and fsynced, folder fsynced. */
  private async ensureJournal(): Promise<OpenJournal> {
    if (this.journal) return this.journal;
    const identity = await takeIdentity(this.file, this.path, this.file.isBlockDevice);
    const header: JournalHeader = { journalId: new Uint8Array(randomBytes(8)), originalSize: this.originalSize, pageSize: JOURNAL_PAGE_SIZE, createdMs: Date.now(), path: this.path, ...identity };
    const bytes = encodeJournalHeader(header);
    let handle: FileHandle;
    try {
      // 'wx+': another process that raced us to the same image gets EEXIST, not a shared journal.
      handle = await open(this.journalPath, 'wx+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException)?.code === 'EEXIST') throw pendingError(this.path, this.journalPath, this.journalDir);
      throw ioErrorFrom(error, this.journalPath, 'create journal');
    }
    try {
      // The header is durable before any record follows it (docs/journal.md, crash safety step 2: a
      // header failing its checks with data after it is refused as damage, not removed as a torn creation).
      await writeAll(handle, bytes, 0);
      await handle.sync();
      await fsyncParent(this.journalPath);
    } catch (error) {
      this.failure = error;
      await handle.close().catch(() => undefined);
      throw ioErrorFrom(error, this.journalPath, 'create journal');
    }
    this.journal = { handle, header, position: JOURNAL_HEADER_SIZE, nextSequence: 1 };
    this.counters.journalBytes = JOURNAL_HEADER_SIZE;
    return this.journal;
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private checkOpen(): void {
    if (this.closed) throw new PreconditionError(`${this.path}: journaled file is closed`, { code: 'JOURNAL_CLOSED', layer: 'journal', details: { image: this.path } });
  }

  private checkUsable(): void {
    this.checkOpen();
    if (this.failure !== null) {
      throw new PreconditionError(`${this.path}: an earlier journal write failed; no further change is allowed. Roll back: coldfix rollback ${this.path}`, {
        code: 'JOURNAL_FAILED',
        layer: 'journal',
        details: { image: this.path, journal: this.journalPath },
        cause: this.failure,
      });
    }
  }
}

/**
 * Deferred writes as non-overlapping ranges, adjacent and overlapping ones merged (later writes win
 * where they overlap): one positional write per range. Their order does not matter any more: all of
 * them are covered by before-images made durable before the first one.
 */
function coalesce(writes: { offset: number; data: Uint8Array }[]): { offset: number; data: Uint8Array }[] {
  if (writes.length < 2) return writes;
  const order = writes.map((w, i) => ({ ...w, i })).sort((a, b) => a.offset - b.offset || a.i - b.i);
  const out: { offset: number; data: Uint8Array }[] = [];
  for (let k = 0; k < order.length; ) {
    let end = order[k].offset + order[k].data.length;
    let m = k + 1;
    while (m < order.length && order[m].offset <= end) {
      end = Math.max(end, order[m].offset + order[m].data.length);
      m++;
    }
    if (m === k + 1) out.push(order[k]);
    else {
      const start = order[k].offset;
      const data = new Uint8Array(end - start);
      for (const w of order.slice(k, m).sort((a, b) => a.i - b.i)) data.set(w.data, w.offset - start);
      out.push({ offset: start, data });
    }
    k = m;
  }
  return out;
}
