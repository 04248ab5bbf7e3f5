/**
 * The catalog of generated test images and the facts known about each, as recorded by the generators
 * from the tools that made them (sfdisk --json, qemu-img info, the bytes written through ntfs-3g).
 */

/** One partition, as `sfdisk --json` reports it, with byte offsets added. */
export interface PartitionFact {
  /** 1-based partition number (MBR logical partitions start at 5). */
  number: number;
  /** sfdisk's device node name (e.g. `disk.img1`). */
  node: string;
  startLba: number;
  sectorCount: number;
  /** Byte offset of the partition in the virtual disk. */
  offset: number;
  /** Byte size of the partition. */
  size: number;
  /** MBR type as hex (`7`, `f`) or GPT type GUID in upper case. */
  type: string;
  /** GPT partition GUID (upper case). */
  uuid?: string;
  /** GPT partition name. */
  name?: string;
  bootable?: boolean;
  /** What the generator put there: `ntfs`, `fat16`, `fat32`, `extended`, `empty`. */
  content: string;
}

/** The partition table of a disk scenario. */
export interface PartitionTableFacts {
  label: 'dos' | 'gpt';
  /** Disk identifier (MBR signature as `0x…` or GPT disk GUID). */
  id: string;
  sectorSize: number;
  partitions: PartitionFact[];
  /** `sfdisk --json` output as printed. */
  sfdisk: unknown;
}

/** Named stream (alternate data stream) of a file or directory. */
export interface StreamFact {
  name: string;
  size: number;
  sha256: string;
}

/** A file or directory the generator created on an NTFS volume and left in place. */
export interface FileFact {
  /** Path from the volume root, `/`-separated, starting with `/`. */
  path: string;
  type: 'file' | 'dir';
  /** Logical size of the unnamed $DATA stream (files). */
  size?: number;
  /** SHA-256 of the unnamed $DATA stream as written (files). */
  sha256?: string;
  streams?: StreamFact[];
  /** 8.3 name set through `system.ntfs_dos_name`. */
  dosName?: string;
  /** FILETIMEs as decimal strings (set through `system.ntfs_times`). */
  times?: { creation: string; lastWrite: string; lastAccess: string };
  /** File attribute flags set explicitly through `system.ntfs_attrib_be` (e.g. 0x800 compressed). */
  attributes?: number;
  /** Junction (mount-point reparse point, tag 0xA0000003) target, e.g. `C:\\Users`. */
  junction?: string;
  /** All paths of this file when it has hard links (including this one). */
  links?: string[];
  /** Features this entry exercises: `resident`, `sparse`, `compressed`, `fragmented`, `attribute-list`, … */
  tags?: string[];
}

/** A file or directory created and then removed (expected in `fls -d`, not in `fls`). */
export interface DeletedFact {
  path: string;
  type: 'file' | 'dir';
  size: number;
}

/** One file system inside an image. */
export interface VolumeFacts {
  /** Byte offset of the volume in the (virtual) disk; 0 for a bare volume. */
  offset: number;
  size: number;
  /** File system; `bitlocker` for an encrypted volume (its plaintext is described by `notes.plaintext`). */
  fs: 'ntfs' | 'fat16' | 'fat32' | 'bitlocker';
  label?: string;
  /** Partition number holding it, when in a partitioned disk. */
  partition?: number;
  clusterSize?: number;
  sectorSize?: number;
  /** Name of the scenario whose volume was copied here. */
  copiedFrom?: string;
  /** Files and directories present (may be absent for big volumes: see `filesPath`). */
  files?: FileFact[];
  /** JSON file (absolute path once loaded) holding `FileFact[]` when the list is too big to inline. */
  filesPath?: string;
  deleted?: DeletedFact[];
  fileCount?: number;
  dirCount?: number;
  /** Free-form facts (e.g. directory entry counts, dirty flag). */
  notes?: Record<string, unknown>;
}

/** One generated image. */
export interface CatalogEntry {
  name: string;
  description: string;
  /** Cache key: hash of the generator version, parameters and dependencies' keys. */
  key: string;
  /** Absolute path of the image (stored relative to the cache folder). */
  image: string;
  /** qemu-img format name: `raw` or `vpc` (VHD). */
  format: 'raw' | 'vpc';
  vhdSubformat?: 'fixed' | 'dynamic';
  /** Virtual disk size in bytes (qemu-img info `virtual-size`). */
  virtualSize: number;
  /** Size of the image file in bytes. */
  fileSize: number;
  /** Scenario this one was converted from (VHDs), for `qemu-img compare`. */
  source?: string;
  partitionTable?: PartitionTableFacts;
  volumes: VolumeFacts[];
  /** Scenario-specific facts (e.g. the CrowdStrike channel files of windows-sample). */
  extra?: Record<string, unknown>;
  buildMs: number;
  createdAt: string;
}

/** The whole catalog (cache/catalog.json). */
export interface Catalog {
  cacheDir: string;
  entries: Record<string, CatalogEntry>;
}
