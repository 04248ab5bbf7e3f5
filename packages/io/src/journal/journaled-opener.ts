/**
 * A FileOpener (byte-source.ts) for repairs: read-only opens give plain
 * FileSources, writable opens give JournaledFiles, so container layers that
 * open parents or extents by path write only through the journal. The opener
 * remembers what it opened writable, so the caller can `complete()` or
 * `rollback()` every one of them at the end.
 */
import type { ByteSource, FileOpener, ResizableByteSource } from '../byte-source.js';
import { FileSource } from '../file-source.js';
import { JournaledFile } from './journaled-file.js';
import type { JournalOptions } from './journal-path.js';

export type JournaledOpener = FileOpener & {
  /** Every JournaledFile this opener returned, in opening order. */
  readonly opened: readonly JournaledFile[];
};

export function journaledFileOpener(options: JournalOptions = {}): JournaledOpener {
  const opened: JournaledFile[] = [];
  const openFile = async (path: string, writable: boolean): Promise<ByteSource | ResizableByteSource> => {
    if (!writable) return FileSource.open(path);
    const file = await JournaledFile.open(path, options);
    opened.push(file);
    return file;
  };
  return Object.assign(openFile as FileOpener, { opened });
}
