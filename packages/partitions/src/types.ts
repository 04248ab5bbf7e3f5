/**
 * Public types of the partitions layer: what a partition table is, as
 * `readPartitionTable` reports it. Units: `offset` and `size` are bytes.
 */

export type PartitionScheme = 'gpt' | 'mbr' | 'none';

/** What the first sector(s) of a partition or bare volume hold (see probeContent). */
export type ContentKind = 'bitlocker' | 'ntfs' | 'fat' | 'unknown';

export interface PartitionEntry {
  /**
   * GPT: 1-based entry number in the partition entry array (as sgdisk, mmls and
   * Windows number them; unused slots keep their numbers). MBR: 1-4 for the
   * primary slots, 5+ for logical partitions in EBR-chain order (Linux numbering).
   */
  index: number;
  /** Bytes from the start of the disk. */
  offset: number;
  /** Bytes. GPT: (lastLba - firstLba + 1) * sectorSize, inclusive as mmls/sgdisk show. */
  size: number;
  /** GPT: partition type GUID, lowercase canonical form. MBR: `0x07` style (two lowercase hex digits). */
  type: string;
  /** Human name of the type (util-linux `sfdisk -T` vocabulary); MBR names end in ` (0xNN)`. */
  typeName: string;
  /** GPT partition name ('' for MBR; 0xFFFF-filled names decode to ''). */
  name: string;
  /** GPT unique partition GUID (lowercase); null for MBR. */
  guid: string | null;
  /** MBR: active (boot indicator 0x80). */
  bootable?: boolean;
  /** GPT: attribute bits as `0x` + 16 hex digits. */
  attributes?: string;
  /** MBR: true for a logical partition found in the EBR chain. */
  logical?: boolean;
  /** MBR: true for an extended-partition container entry (0x05, 0x0f, 0x85); it holds the EBR chain, not a volume. */
  extended?: boolean;
  /** What the partition's first sector holds; 'unknown' when it lies beyond the end of the disk. */
  content: ContentKind;
}

export interface PartitionTable {
  scheme: PartitionScheme;
  /** Logical sector size in bytes used to interpret LBAs. */
  sectorSize: 512 | 4096;
  /** GPT disk GUID (lowercase). */
  diskGuid?: string;
  /** MBR disk signature (bytes 440-443 as a little-endian 32-bit value), `0x` + 8 hex digits. */
  diskSignature?: string;
  /** GPT: the MBR holds partitions besides the 0xEE protective entry. */
  hybridMbr?: boolean;
  /** GPT: the primary header or its entry array was damaged and the backup was used. */
  usedBackupGpt?: boolean;
  /**
   * GPT with a hybrid MBR: the MBR's own non-0xEE entries, decoded as MBR
   * partitions (index = MBR slot 1-4). Not part of `partitions`, because the
   * GPT is authoritative (UEFI 2.10 §5.2.3); they are listed here so a
   * forensic reader sees what a BIOS-era OS would have seen.
   */
  hybridMbrPartitions?: PartitionEntry[];
  partitions: PartitionEntry[];
  /** Tolerated oddities (truncated image, overlaps, backup GPT problems…), human-readable. */
  anomalies: string[];
}

export interface ReadPartitionTableOptions {
  /** Force the logical sector size; by default 512, or 4096 when the GPT header sits at byte 4096. */
  sectorSize?: 512 | 4096;
  /**
   * Refuse a GPT whose only CRC-valid header has an entry array failing its
   * CRC (by default such entries are used, with an anomaly, as sgdisk does).
   */
  strict?: boolean;
}
