/**
 * `--output` for images whose container we do not copy file for file (VMDK:
 * descriptors name extent and parent files beside them, and streamOptimized,
 * vmfsSparse and seSparse are read-only): the virtual disk, read through its
 * whole chain, written as a sparse raw file (all-zero chunks left as holes).
 * Refuses to overwrite.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ioErrorFrom, isZero, PreconditionError } from '@coldfix/io';
import { openImage, type OpenImageOptions } from '@coldfix/volumes';

const chunkSize = 1 << 20;

export async function flattenCopy(sourcePath: string, targetPath: string, options: OpenImageOptions): Promise<{ bytesCopied: number; size: number }> {
  const opened = await openImage(sourcePath, { ...options, writable: false });
  let target;
  try {
    target = await open(targetPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (error) {
    await opened.close();
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new PreconditionError(`--output ${targetPath} already exists; refusing to overwrite it`, { code: 'OUTPUT_EXISTS', layer: 'repair', details: { path: targetPath } });
    }
    throw ioErrorFrom(error, targetPath, 'create');
  }
  try {
    const disk = opened.disk;
    let bytesCopied = 0;
    for (let offset = 0; offset < disk.size; offset += chunkSize) {
      const chunk = await disk.read(offset, Math.min(chunkSize, disk.size - offset));
      if (!isZero(chunk)) {
        await target.write(chunk, 0, chunk.length, offset);
        bytesCopied += chunk.length;
      }
    }
    await target.truncate(disk.size);
    await target.sync();
    return { bytesCopied, size: disk.size };
  } finally {
    await opened.close();
    await target.close();
  }
}
