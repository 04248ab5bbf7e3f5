/**
 * Copying volumes into disk images and small file-system helpers.
 */
import { open, stat } from 'node:fs/promises';
import { run } from '../util/run.js';

/** Creates (or truncates) a sparse file of `size` bytes. */
export async function createSparse(path: string, size: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(size);
  } finally {
    await fh.close();
  }
}

/**
 * Copies the whole file `volume` into `disk` at byte `offset`, keeping holes (PEERS.md:
 * `dd … seek=OFFSET oflag=seek_bytes conv=notrunc,sparse`).
 * @throws Error when the volume does not fit in `maxSize` bytes.
 */
export async function placeVolume(volume: string, disk: string, offset: number, maxSize: number): Promise<void> {
  const { size } = await stat(volume);
  if (size > maxSize) throw new Error(`${volume} (${size} B) does not fit in ${maxSize} B`);
  await run('dd', [`if=${volume}`, `of=${disk}`, 'bs=1M', `seek=${offset}`, 'oflag=seek_bytes', 'conv=notrunc,sparse', 'status=none']);
}

/**
 * Formats a scratch file as FAT with mkfs.vfat (dosfstools), with a fixed volume id for
 * reproducibility. `fatBits` 32 needs at least 65525 clusters (≥ 33 MiB with 512-byte clusters).
 */
export async function makeFat(path: string, size: number, label: string, fatBits: 16 | 32, startSector: number): Promise<void> {
  await createSparse(path, size);
  const args = ['-F', String(fatBits), '-n', label, '-i', '12345678', '-h', String(startSector)];
  if (fatBits === 32) args.push('-s', size < 256 * 1024 * 1024 ? '1' : '8');
  args.push(path);
  try {
    await run('mkfs.vfat', args);
  } catch (e) {
    if ((e as { code?: unknown }).code === null)
      throw new Error('mkfs.vfat not found: install dosfstools (apt-get install dosfstools)');
    throw e;
  }
}
