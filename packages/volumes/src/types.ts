import type { ByteSource, RemoteImageOptions } from '@coldfix/io';
import type { BitLockerInfo, KeyMaterial } from '@coldfix/bitlocker';
import type { ContentKind, PartitionScheme } from '@coldfix/partitions';
import type { ChainEntry, ImageFormat, ImageVariant, OpenDiskImageOptions } from '@coldfix/disk-image';

export interface OpenImageOptions {
  /** Keys for BitLocker volumes; a volume with a clear key opens without any. */
  keys?: KeyMaterial;
  /** Open for writing through the undo journal. Default: read-only. */
  writable?: boolean;
  /** Where the undo journal goes (block devices, read-only folders). Default: beside the image. */
  journalDir?: string;
  /** Extra folders searched for differencing-disk parents. */
  parentDirs?: string[];
  /** Use a VHDX parent whose DataWriteGuid differs from the child's parent_linkage (with an anomaly). */
  allowParentMismatch?: boolean;
  /** Sector size override for partition tables (default: detected). */
  sectorSize?: 512 | 4096;
  /** Tuning of remote (http/https) images: cache, parallel requests, retries, extra headers. */
  remote?: RemoteImageOptions;
  /** qcow2: read this internal snapshot (ID or name) instead of the active state; read-only. */
  snapshot?: string;
  /** VMDK overrides: accept a parent CID mismatch, allow extent/parent names outside the descriptor's folder. */
  vmdk?: OpenDiskImageOptions['vmdk'];
}

export interface BitLockerState {
  info: BitLockerInfo;
  unlocked: boolean;
  protectorUsed: { guid: string; type: string } | null;
  /** Why unlocking failed (never contains a secret). */
  /** Why it stayed locked: BITLOCKER_NO_KEY (nothing given fits a protector) or BITLOCKER_WRONG_KEY (`tried`: the protectors a given key was tried on and rejected by). */
  error?: { code: string; message: string; tried?: { guid: string; type: string }[] };
}

/** One volume of the image: a partition, or the whole disk when it has no partition table. */
export interface VolumeEntry {
  /** Partition index as the table numbers it; 0 for a bare volume (no partition table). */
  partition: number;
  offset: number;
  size: number;
  type: string;
  typeName: string;
  name: string;
  guid: string | null;
  /** What the partition's first sector holds, or, once a BitLocker volume is unlocked, what its plaintext holds. */
  content: ContentKind;
  /** The probe's answer on the raw partition (before any unlock). */
  rawContent: ContentKind;
  bitlocker: BitLockerState | null;
  /** The device file systems read: the partition, or the unlocked BitLocker plaintext. Absent while locked. */
  device?: ByteSource;
}

export interface ImageSummary {
  path: string;
  format: ImageFormat;
  variant: ImageVariant;
  virtualSize: number;
  chain: ChainEntry[];
  partitionScheme: PartitionScheme;
  sectorSize: number;
  anomalies: string[];
}
