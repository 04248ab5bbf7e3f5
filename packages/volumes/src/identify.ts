/**
 * Whether a file holds a disk image, by content, the way opening it would decide: a container some
 * driver reads, a container we recognise but do not read (so a batch reports it as UNSUPPORTED_FORMAT
 * instead of passing over it), or a raw disk or volume (0x55AA at the end of sector 0). One rule for
 * every caller that picks images out of a folder.
 */
import { FileSource, isColdfixError } from '@coldfix/io';
import { detectImageFormat, detectUnsupportedContainer } from '@coldfix/disk-image';

export async function looksLikeDiskImage(path: string): Promise<boolean> {
  let file: FileSource;
  try {
    file = await FileSource.open(path);
  } catch {
    return false;
  }
  try {
    if (file.size < 512) return false;
    try {
      if ((await detectImageFormat(file)).format !== 'raw') return true;
    } catch (error) {
      // A container whose structures are damaged is still an image: the batch reports its typed error.
      if (isColdfixError(error)) return true;
      throw error;
    }
    if (await detectUnsupportedContainer(file)) return true;
    const head = await file.read(0, 512);
    return head[510] === 0x55 && head[511] === 0xaa;
  } finally {
    await file.close();
  }
}
