/**
 * Public types of the disk-image layer: a container file decoded into the
 * virtual disk it holds, with its parent chain resolved.
 */
import type { ByteSource, FileOpener, WritableByteSource } from '@coldfix/io';

/** Container formats recognised by content. */
export type ImageFormat = 'raw' | 'vhd' | 'vhdx' | 'qcow2' | 'vmdk';

/** `raw` / `block-device` for flat images; `fixed` / `dynamic` / `differencing` for VHD and VHDX; `v2` / `v3` for qcow2; the createType for VMDK. */
export type ImageVariant = 'raw' | 'block-device' | 'fixed' | 'dynamic' | 'differencing' | 'v2' | 'v3' | VmdkVariant;

/** VMDK: the descriptor's createType (an extent opened on its own is named by its kind). */
export type VmdkVariant =
  | 'monolithicSparse' | 'monolithicFlat' | 'twoGbMaxExtentSparse' | 'twoGbMaxExtentFlat' | 'streamOptimized'
  | 'vmfs' | 'vmfsThin' | 'vmfsSparse' | 'seSparse' | 'vmfsPreallocated' | 'vmfsEagerZeroedThick' | 'custom';

/** One member of a chain (child first, then its parents). */
export interface ChainEntry {
  path: string;
  format: ImageFormat;
  variant: ImageVariant;
  /** Virtual disk size in bytes. */
  virtualSize: number;
  /** VHD footer unique ID (RFC 4122 text, as libvhdi prints it). */
  uniqueId?: string;
  /** VHD footer timestamp, ISO 8601 UTC. */
  timestamp?: string;
  /** VHDX: header DataWriteGuid (also in `uniqueId`: what a child's parent_linkage names). */
  dataWriteGuid?: string;
  /** VHDX: the Virtual Disk ID (page 83) metadata item. */
  virtualDiskId?: string;
  /** VHDX: the parent's DataWriteGuid this child records. */
  parentLinkage?: string;
  /** VHDX: payload block size in bytes. */
  blockSize?: number;
  /** VHDX: logical sector size (512 or 4096). */
  logicalSectorSize?: number;
  /** VHDX: `clean` (empty log), `replayed-in-memory` (a pending log laid over the file in memory, read-only opens) or `replayed-into-file` (writable opens). */
  logState?: 'clean' | 'replayed-in-memory' | 'replayed-into-file';
  /** qcow2: header flags (dirty, corrupt, lazy_refcounts, extended_l2, external_data_file, compression=zstd, …). */
  flags?: string[];
  /** qcow2: internal snapshots of this member. */
  snapshots?: ImageSnapshot[];
  /** qcow2: the snapshot read instead of the active state (its ID). */
  snapshot?: string;
  /** qcow2: backing file name and format as stored in the header; external data file name. */
  backingFile?: string;
  backingFormat?: string;
  dataFile?: string;
  /** VMDK descriptor content ID and parent content ID (8 hex digits; ffffffff = no parent). */
  cid?: string;
  parentCid?: string;
  /** VMDK hosted sparse header flag: the image was not closed cleanly. */
  uncleanShutdown?: boolean;
}

/** An internal snapshot (qcow2). */
export interface ImageSnapshot {
  id: string;
  name: string;
  /** ISO 8601 UTC. */
  date: string;
  virtualSize: number;
  vmStateSize: number;
}

/** A virtual disk: `read` returns virtual-disk bytes, whatever the container. */
export interface DiskImage extends ByteSource {
  readonly format: ImageFormat;
  readonly variant: ImageVariant;
  /** Child first, then parents. */
  readonly chain: ChainEntry[];
  /** Tolerated oddities (e.g. trailing footer damaged, the copy at the start was used). */
  readonly anomalies: string[];
}

export interface WritableDiskImage extends DiskImage, WritableByteSource {}

export interface OpenDiskImageOptions {
  /** Default false: everything opened read-only. Only the child of a chain is ever writable. */
  writable?: boolean;
  /** Default: FileSource read-only, WritableFileSource when writable. */
  openFile?: FileOpener;
  /** Folders searched (by the parent file's name) when the parent locators do not lead to the parent. */
  parentDirs?: string[];
  /** Maximum number of images in a chain, child included (default 64). */
  maxChainDepth?: number;
  /**
   * Default false. When true, a VHDX parent found through the locator whose DataWriteGuid differs from
   * the child's parent_linkage is used anyway, with an anomaly (the user's override), instead of a
   * ParentMismatchError. Only ever for reading: such a chain's content may be inconsistent.
   */
  allowParentMismatch?: boolean;
  /** qcow2: read this internal snapshot (ID, else name) of the image asked for; read-only. */
  snapshot?: string;
  /** VMDK: accept a parent whose CID differs from the child's parentCID (an anomaly instead of an error); let extent and parent names point outside the descriptor's folder. */
  vmdk?: { ignoreParentCid?: boolean; allowOutsidePaths?: boolean };
}
