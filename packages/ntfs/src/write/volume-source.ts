/**
 * The write side works at byte level on the device under an NtfsVolume. This
 * finds that device: the volume's `source` (the reader's NtfsVolume keeps the
 * ByteSource it was opened over), or a ByteSource given directly.
 */
import { CorruptError, type ByteSource } from '@coldfix/io';
import { RawVolume } from './raw/raw-volume.js';

/** Anything the write side accepts as a volume: the reader's NtfsVolume, or a ByteSource holding a volume. */
export type VolumeInput = ByteSource | { readonly source: ByteSource };

export function sourceOf(volume: VolumeInput): ByteSource {
  const v = volume as Partial<{ source: ByteSource; read: unknown }>;
  if (v.source && typeof v.source.read === 'function') return v.source;
  if (typeof v.read === 'function') return volume as ByteSource;
  throw new CorruptError('not an NTFS volume or byte source', { code: 'NTFS_WRITE_BAD_VOLUME', layer: 'ntfs-write' });
}

/**
 * The write side's RawVolume over `volume`. Given the reader's NtfsVolume, the RawVolume takes its
 * $UpCase table from it (read and decoded once per volume) instead of reading and decoding record 10
 * again: a repair opens a RawVolume for the gates, the scoped check and the delete.
 * @throws CorruptError as RawVolume.open.
 */
export async function rawVolumeOf(volume: VolumeInput): Promise<RawVolume> {
  const vol = await RawVolume.open(sourceOf(volume));
  const reader = volume as Partial<{ upcase: () => Promise<{ table: Uint16Array }> }>;
  if (typeof reader.upcase === 'function' && !(typeof (volume as Partial<ByteSource>).read === 'function')) {
    const load = reader.upcase.bind(volume);
    vol.shareUpcase(async () => (await load()).table);
  }
  return vol;
}
