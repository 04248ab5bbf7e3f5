/**
 * Public types of the disk-image layer: a container file decoded into the
 * virtual disk it holds, with its parent chain resolved.
 */
import type { ByteSource, FileOpener, WritableByteSource } from '@coldfix/io';

/** Container formats recognised by content. */
export type ImageFormat = 'raw' | 'vhd' | 'vmdk';

/** `raw` / `block-device` for flat images; `fixed` / `dynamic` / `differencing` for VHD. */
export type ImageVariant = 'raw' | 'block-device' | 'fixed' | 'dynamic' | 'differencing' | VmdkVariant;

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
  /** VMDK descriptor content ID and parent content ID (8 hex digits; ffffffff = no parent). */
  cid?: string;
  parentCid?: string;
  /** VMDK hosted sparse header flag: the image was not closed cleanly. */
  uncleanShutdown?: boolean;
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
  /** VMDK: accept a parent whose CID differs from the child's parentCID (an anomaly instead of an error); let extent and parent names point outside the descriptor's folder. */
  vmdk?: { ignoreParentCid?: boolean; allowOutsidePaths?: boolean };
}
