/**
 * VHD hard disk footer (512 bytes, big-endian), at the end of every VHD and,
 * for dynamic and differencing disks, copied at offset 0.
 *
 * References: Microsoft "Virtual Hard Disk Image Format Specification" 1.0
 * (2006), "Hard Disk Footer Format"; libyal libvhdi "Virtual Hard Disk (VHD)
 * image format" §2; qemu block/vpc.c (VHDFooter).
 */
import { defineStruct } from '@coldfix/io';

export const VHD_FOOTER_SIZE = 512;
export const VHD_FOOTER_COOKIE = 'conectix';

export const VhdFooterStruct = defineStruct('VhdFooter', VHD_FOOTER_SIZE, {
  cookie: { offset: 0, type: 'ascii', size: 8 },
  features: { offset: 8, type: 'u32be' },
  fileFormatVersion: { offset: 12, type: 'u32be' },
  /** Offset of the dynamic header; all ones for fixed disks. */
  dataOffset: { offset: 16, type: 'u64be' },
  /** Seconds since 2000-01-01 00:00:00 UTC. */
  timestamp: { offset: 24, type: 'u32be' },
  creatorApplication: { offset: 28, type: 'ascii', size: 4 },
  creatorVersion: { offset: 32, type: 'u32be' },
  creatorHostOs: { offset: 36, type: 'u32be' },
  originalSize: { offset: 40, type: 'u64be' },
  currentSize: { offset: 48, type: 'u64be' },
  cylinders: { offset: 56, type: 'u16be' },
  heads: { offset: 58, type: 'u8' },
  sectorsPerTrack: { offset: 59, type: 'u8' },
  diskType: { offset: 60, type: 'u32be' },
  checksum: { offset: 64, type: 'u32be' },
  uniqueId: { offset: 68, type: 'guidBe' },
  savedState: { offset: 84, type: 'u8' },
});

export const VhdDiskType = { fixed: 2, dynamic: 3, differencing: 4 } as const;
export type VhdDiskTypeName = keyof typeof VhdDiskType;

/** Byte offset of the checksum field inside the footer. */
export const VHD_FOOTER_CHECKSUM_OFFSET = 64;
/** VHD timestamps count seconds from 2000-01-01 00:00:00 UTC. */
export const VHD_EPOCH_MS = Date.UTC(2000, 0, 1);

export function diskTypeName(diskType: number): VhdDiskTypeName | undefined {
  return diskType === 2 ? 'fixed' : diskType === 3 ? 'dynamic' : diskType === 4 ? 'differencing' : undefined;
}

export function vhdTimestampToIso(seconds: number): string {
  return new Date(VHD_EPOCH_MS + seconds * 1000).toISOString();
}
