/**
 * The write side works at byte level on the device under an NtfsVolume. This
 * finds that device: the volume's `source` (the reader's NtfsVolume keeps the
 * ByteSource it was opened over), or a ByteSource given directly.
 */
import { CorruptError, type ByteSource } from '@coldfix/io';
import { RecordStore } from './record-store.js';

/** Anything the write side accepts as a volume: the reader's NtfsVolume, or a ByteSource holding a volume. */
export type VolumeInput = ByteSource | { readonly source: ByteSource };

/** The reader side of an NtfsVolume the write side can borrow from (its decoded $UpCase). */
interface UpcaseOwner {
  upcase(): Promise<{ table: Uint16Array }>;
}

/**
 * What `volume` is, decided once: its device, and the reader's NtfsVolume when it is one (a
 * `source` that is a ByteSource, the volume itself not being one, and an `upcase()` to share).
 * @throws CorruptError NTFS_WRITE_BAD_VOLUME when it is neither.
 */
function resolveVolume(volume: VolumeInput): { source: ByteSource; reader: UpcaseOwner | null } {
  const v = volume as Partial<{ source: ByteSource; read: unknown; upcase: unknown }>;
  const isSource = typeof v.read === 'function';
  if (v.source && typeof v.source.read === 'function') {
    return { source: v.source, reader: !isSource && typeof v.upcase === 'function' ? (volume as unknown as UpcaseOwner) : null };
  }
  if (isSource) return { source: volume as ByteSource, reader: null };
  throw new CorruptError('not an NTFS volume or byte source', { code: 'NTFS_WRITE_BAD_VOLUME', layer: 'ntfs-write' });
}

/**
 * The device under `volume`.
 * @throws CorruptError NTFS_WRITE_BAD_VOLUME when `volume` is neither an NtfsVolume nor a ByteSource.
 */
export function sourceOf(volume: VolumeInput): ByteSource {
  return resolveVolume(volume).source;
}

/**
 * The write side's RecordStore over `volume`. Given the reader's NtfsVolume, the RecordStore takes its
 * $UpCase table from it (read and decoded once per volume) instead of reading and decoding record 10
 * again: a repair opens a RecordStore for the gates, the scoped check and the delete.
 * @throws CorruptError as RecordStore.open, and NTFS_WRITE_BAD_VOLUME as sourceOf.
 */
export async function recordStoreOf(volume: VolumeInput): Promise<RecordStore> {
  const { source, reader } = resolveVolume(volume);
  const vol = await RecordStore.open(source);
  if (reader) vol.shareUpcase(async () => (await reader.upcase()).table);
  return vol;
}
