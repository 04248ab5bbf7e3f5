/**
 * The write side works at byte level on the device under an NtfsVolume. This
 * finds that device: the volume's `source` (the reader's NtfsVolume keeps the
 * ByteSource it was opened over), or a ByteSource given directly.
 */
import { CorruptError, type ByteSource } from '@coldfix/io';

/** Anything the write side accepts as a volume: the reader's NtfsVolume, or a ByteSource holding a volume. */
export type VolumeInput = ByteSource | { readonly source: ByteSource };

export function sourceOf(volume: VolumeInput): ByteSource {
  const v = volume as Partial<{ source: ByteSource; read: unknown }>;
  if (v.source && typeof v.source.read === 'function') return v.source;
  if (typeof v.read === 'function') return volume as ByteSource;
  throw new CorruptError('not an NTFS volume or byte source', { code: 'NTFS_WRITE_BAD_VOLUME', layer: 'ntfs-write' });
}
