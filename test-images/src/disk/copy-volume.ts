/**
 * Putting an already built NTFS volume (another scenario's image) into a partition of a disk.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CatalogEntry, VolumeFacts } from '../catalog.js';
import { setHiddenSectors } from '../ntfs/mkntfs.js';
import { placeVolume } from './place.js';

/**
 * Copies the bare volume of scenario `source` into `disk` at `startLba` (512-byte sectors), with the
 * boot sector's hidden-sectors field set to `startLba` as mkntfs -p would, and returns its facts.
 */
export async function copyVolumeInto(
  source: CatalogEntry,
  disk: string,
  startLba: number,
  partition: number,
  maxSize: number,
  tmpDir: string,
): Promise<VolumeFacts> {
  const v = source.volumes[0];
  if (!v || v.offset !== 0) throw new Error(`${source.name} is not a bare volume`);
  const scratch = join(tmpDir, `${source.name}-p${partition}.img`);
  await copyFile(source.image, scratch);
  await setHiddenSectors(scratch, v.size, startLba);
  await placeVolume(scratch, disk, startLba * 512, maxSize);
  return { ...v, offset: startLba * 512, partition, copiedFrom: source.name };
}
