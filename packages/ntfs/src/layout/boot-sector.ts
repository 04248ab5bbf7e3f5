/**
 * NTFS volume header (boot sector), 512 bytes at volume offset 0, with a backup
 * in the last sector of the volume (libfsntfs "Volume header"; ntfs-3g layout.h
 * NTFS_BOOT_SECTOR).
 */
import { defineStruct, type StructValue } from '@coldfix/io';
import { corrupt } from '../errors.js';

export const BootSectorStruct = defineStruct('NtfsBootSector', 512, {
  jump: { offset: 0x00, type: 'bytes', size: 3 },
  oemId: { offset: 0x03, type: 'ascii', size: 8 },
  bytesPerSector: { offset: 0x0b, type: 'u16le' },
  sectorsPerCluster: { offset: 0x0d, type: 'u8' },
  reservedSectors: { offset: 0x0e, type: 'u16le' },
  mediaDescriptor: { offset: 0x15, type: 'u8' },
  sectorsPerTrack: { offset: 0x18, type: 'u16le' },
  numberOfHeads: { offset: 0x1a, type: 'u16le' },
  hiddenSectors: { offset: 0x1c, type: 'u32le' },
  totalSectors: { offset: 0x28, type: 'u64le' },
  mftLcn: { offset: 0x30, type: 'u64le' },
  mftMirrLcn: { offset: 0x38, type: 'u64le' },
  clustersPerMftRecord: { offset: 0x40, type: 'i8' },
  clustersPerIndexBlock: { offset: 0x44, type: 'i8' },
  serialNumber: { offset: 0x48, type: 'u64le' },
  checksum: { offset: 0x50, type: 'u32le' },
  endOfSectorMarker: { offset: 0x1fe, type: 'u16le' },
});
export type BootSectorFields = StructValue<typeof BootSectorStruct.fields>;

export interface BootSector {
  fields: BootSectorFields;
  bytesPerSector: number;
  clusterSize: number;
  recordSize: number;
  indexBlockSize: number;
  totalSectors: number;
  /** Volume size in bytes (total sectors x sector size; the backup boot sector follows). */
  volumeSize: number;
  clusterCount: number;
  mftLcn: number;
  mftMirrLcn: number;
  /** 16 hex digits, upper case, as ntfsinfo/fsstat show it. */
  serial: string;
}

/**
 * Cluster size byte: 1..128 is a sector count; above 128 it is a negative
 * power of two (0xF4 = 2^12 sectors, for 2 MiB clusters on 512-byte sectors).
 * Record/index sizes: positive = clusters, negative = 2^-n bytes (0xF6 = 1024).
 */
function sizeFromClustersField(value: number, clusterSize: number): number {
  return value > 0 ? value * clusterSize : value < 0 && value >= -31 ? 2 ** -value : 0;
}

/** Decodes and checks a boot sector; throws CorruptError (NTFS_BOOT_*) when it is not a usable NTFS one. */
export function decodeBootSector(bytes: Uint8Array, offset = 0): BootSector {
  const fields = BootSectorStruct.decode(bytes);
  if (fields.oemId !== 'NTFS    ') throw corrupt('NTFS_BOOT_SIGNATURE', `OEM id is ${JSON.stringify(fields.oemId)}, not "NTFS    "`, offset + 3);
  const bps = fields.bytesPerSector;
  if (bps < 256 || bps > 4096 || (bps & (bps - 1)) !== 0) throw corrupt('NTFS_BOOT_SECTOR_SIZE', `bytes per sector ${bps}`, offset + 0x0b);
  const spc = fields.sectorsPerCluster;
  const sectorsPerCluster = spc <= 0x80 ? spc : 2 ** (256 - spc);
  if (sectorsPerCluster === 0 || (sectorsPerCluster & (sectorsPerCluster - 1)) !== 0) throw corrupt('NTFS_BOOT_CLUSTER_SIZE', `sectors per cluster byte 0x${spc.toString(16)}`, offset + 0x0d);
  const clusterSize = bps * sectorsPerCluster;
  if (clusterSize > 2 << 20) throw corrupt('NTFS_BOOT_CLUSTER_SIZE', `cluster size ${clusterSize} above 2 MiB`, offset + 0x0d);
  const recordSize = sizeFromClustersField(fields.clustersPerMftRecord, clusterSize);
  if (recordSize < 256 || recordSize > 65536 || (recordSize & (recordSize - 1)) !== 0) throw corrupt('NTFS_BOOT_RECORD_SIZE', `MFT record size ${recordSize}`, offset + 0x40);
  const indexBlockSize = sizeFromClustersField(fields.clustersPerIndexBlock, clusterSize);
  if (indexBlockSize < 256 || indexBlockSize > 65536 || (indexBlockSize & (indexBlockSize - 1)) !== 0) throw corrupt('NTFS_BOOT_INDEX_SIZE', `index block size ${indexBlockSize}`, offset + 0x44);
  if (fields.totalSectors > BigInt(Number.MAX_SAFE_INTEGER) / BigInt(bps)) throw corrupt('NTFS_BOOT_TOTAL_SECTORS', 'total sectors too large', offset + 0x28);
  const totalSectors = Number(fields.totalSectors);
  const volumeSize = totalSectors * bps;
  const clusterCount = Math.floor(volumeSize / clusterSize);
  const mftLcn = Number(fields.mftLcn);
  const mftMirrLcn = Number(fields.mftMirrLcn);
  if (fields.mftLcn >= BigInt(clusterCount) || mftLcn === 0) throw corrupt('NTFS_BOOT_MFT_LCN', `$MFT LCN ${fields.mftLcn} outside ${clusterCount} clusters`, offset + 0x30);
  const serial = fields.serialNumber.toString(16).toUpperCase().padStart(16, '0');
  return { fields, bytesPerSector: bps, clusterSize, recordSize, indexBlockSize, totalSectors, volumeSize, clusterCount, mftLcn, mftMirrLcn, serial };
}
