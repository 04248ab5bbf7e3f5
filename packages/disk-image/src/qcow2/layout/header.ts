/**
 * qcow2 header (big-endian): the 72-byte version 2 part, then the version 3
 * fields up to `headerLength` (104 or 112 bytes, the last 8 holding the
 * compression type and padding).
 *
 * References: qemu docs/interop/qcow2.txt, "Header"; libyal libqcow
 * documentation, "File header".
 */
import { defineStruct } from '@coldfix/io';

/** "QFI\xfb". */
export const QCOW2_MAGIC = 0x514649fb;
export const QCOW2_V2_HEADER_SIZE = 72;
export const QCOW2_V3_HEADER_SIZE = 104;

export const Qcow2HeaderStruct = defineStruct('Qcow2Header', 112, {
  magic: { offset: 0, type: 'u32be' },
  version: { offset: 4, type: 'u32be' },
  /** Absolute offset of the backing file name (not NUL-terminated); 0 when there is none. */
  backingFileOffset: { offset: 8, type: 'u64be' },
  /** Backing file name length in bytes (< 1024). */
  backingFileSize: { offset: 16, type: 'u32be' },
  /** log2 of the cluster size: 9 (512 B) to 21 (2 MiB). */
  clusterBits: { offset: 20, type: 'u32be' },
  /** Virtual disk size in bytes. */
  size: { offset: 24, type: 'u64be' },
  /** 0 none, 1 AES-CBC (legacy), 2 LUKS. */
  cryptMethod: { offset: 32, type: 'u32be' },
  /** Number of entries in the active L1 table. */
  l1Size: { offset: 36, type: 'u32be' },
  l1TableOffset: { offset: 40, type: 'u64be' },
  refcountTableOffset: { offset: 48, type: 'u64be' },
  refcountTableClusters: { offset: 56, type: 'u32be' },
  nbSnapshots: { offset: 60, type: 'u32be' },
  snapshotsOffset: { offset: 64, type: 'u64be' },
  // Version 3 only (version 2 headers read these as 0 after padding; see readQcow2Header).
  incompatibleFeatures: { offset: 72, type: 'u64be' },
  compatibleFeatures: { offset: 80, type: 'u64be' },
  autoclearFeatures: { offset: 88, type: 'u64be' },
  /** log2 of the refcount width in bits (version 2: always 4, i.e. 16-bit). */
  refcountOrder: { offset: 96, type: 'u32be' },
  headerLength: { offset: 100, type: 'u32be' },
  /** 0 zlib (raw deflate), 1 zstd; present when headerLength > 104. */
  compressionType: { offset: 104, type: 'u8' },
  padding: { offset: 105, type: 'bytes', size: 7 },
});

/** Incompatible feature bits (an unknown one means the image cannot be read safely). */
export const IncompatibleFeature = {
  dirty: 0,
  corrupt: 1,
  externalDataFile: 2,
  compressionType: 3,
  extendedL2: 4,
} as const;

export const CompatibleFeature = { lazyRefcounts: 0 } as const;

export const AutoclearFeature = { bitmaps: 0, rawExternalData: 1 } as const;

export const CompressionType = { zlib: 0, zstd: 1 } as const;
export type CompressionTypeName = keyof typeof CompressionType;
