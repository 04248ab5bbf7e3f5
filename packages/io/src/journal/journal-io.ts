/** Small helpers of JournaledFile: whole writes and the pending-journal refusal. */
import type { FileHandle } from 'node:fs/promises';
import { PreconditionError } from '../errors.js';

/** Writes all of `data` at `position` (a positional write may be short). */
export async function writeAll(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

/** The refusal when a journal for the image exists: names it and both ways out. */
export function pendingError(imagePath: string, journalPath: string, journalDir: string | undefined): PreconditionError {
  const dirFlag = journalDir !== undefined ? ` --journal-dir ${journalDir}` : '';
  return new PreconditionError(
    `${imagePath} has a pending coldfix journal ${journalPath}: an earlier session changed it. Run \`coldfix rollback ${imagePath}${dirFlag}\` to restore the image, or \`coldfix commit ${imagePath}${dirFlag}\` to keep the changes and drop the journal`,
    { code: 'JOURNAL_PENDING', layer: 'journal', details: { image: imagePath, journal: journalPath } },
  );
}
