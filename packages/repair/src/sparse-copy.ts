/**
 * Copies an image file for `--output`, keeping it sparse: all-zero chunks are
 * skipped (holes) and the file is sized with truncate. Refuses to overwrite.
 */
import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { HttpRangeSource, ioErrorFrom, isRemoteUrl, isZero, PreconditionError } from '@coldfix/io';

// 8 MiB: one range request per chunk for a remote source (a round trip per MiB would dominate); a
// local read is as fast either way.
const chunkSize = 8 << 20;

/** What the copy reads from: a local file handle, or a remote image read by ranges (no cache: each byte once). */
interface CopySource {
  stat(): Promise<{ size: number }>;
  read(buffer: Uint8Array, at: number, length: number, offset: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

async function openCopySource(sourcePath: string): Promise<CopySource> {
  if (isRemoteUrl(sourcePath)) {
    // 2 MiB requests: a chunk's four run in parallel (HttpRangeSource's default limit).
    const remote = await HttpRangeSource.open(sourcePath, { maxRequestBytes: 2 << 20 });
    return {
      stat: async () => ({ size: remote.size }),
      read: async (buffer, at, length, offset) => {
        await remote.readInto(offset, buffer.subarray(at, at + length));
        return { bytesRead: length };
      },
      close: () => remote.close(),
    };
  }
  return open(sourcePath, 'r').catch((error) => {
    throw ioErrorFrom(error, sourcePath, 'open');
  });
}

export async function sparseCopy(sourcePath: string, targetPath: string): Promise<{ bytesCopied: number; size: number }> {
  const source = await openCopySource(sourcePath);
  let target;
  try {
    target = await open(targetPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (error) {
    await source.close();
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new PreconditionError(`--output ${targetPath} already exists; refusing to overwrite it`, { code: 'OUTPUT_EXISTS', layer: 'repair', details: { path: targetPath } });
    }
    throw ioErrorFrom(error, targetPath, 'create');
  }
  try {
    const { size } = await source.stat();
    const buffer = new Uint8Array(chunkSize);
    let bytesCopied = 0;
    for (let offset = 0; offset < size; offset += chunkSize) {
      const length = Math.min(chunkSize, size - offset);
      const { bytesRead } = await source.read(buffer, 0, length, offset);
      const chunk = buffer.subarray(0, bytesRead);
      if (!isZero(chunk)) {
        await target.write(chunk, 0, chunk.length, offset);
        bytesCopied += chunk.length;
      }
    }
    await target.truncate(size);
    await target.sync();
    return { bytesCopied, size };
  } finally {
    await source.close();
    await target.close();
  }
}
