/**
 * $STANDARD_INFORMATION (0x10): 48 bytes (NTFS 1.2 / ntfs-3g without
 * `permissions`) or 72 bytes (NTFS 3.x). libfsntfs "The standard information attribute".
 */
import { defineStruct, viewOf } from '@coldfix/io';
import { corrupt } from '../errors.js';

export const StandardInformationStruct = defineStruct('StandardInformation', 72, {
  created: { offset: 0x00, type: 'u64le' },
  modified: { offset: 0x08, type: 'u64le' },
  mftModified: { offset: 0x10, type: 'u64le' },
  accessed: { offset: 0x18, type: 'u64le' },
  fileAttributes: { offset: 0x20, type: 'u32le' },
  maximumVersions: { offset: 0x24, type: 'u32le' },
  versionNumber: { offset: 0x28, type: 'u32le' },
  classId: { offset: 0x2c, type: 'u32le' },
  ownerId: { offset: 0x30, type: 'u32le' },
  securityId: { offset: 0x34, type: 'u32le' },
  quotaCharged: { offset: 0x38, type: 'u64le' },
  usn: { offset: 0x40, type: 'u64le' },
});

export interface StandardInformation {
  created: bigint;
  modified: bigint;
  mftModified: bigint;
  accessed: bigint;
  fileAttributes: number;
  ownerId?: number;
  securityId?: number;
  quotaCharged?: bigint;
  usn?: bigint;
}

export function decodeStandardInformation(value: Uint8Array): StandardInformation {
  if (value.length < 48) throw corrupt('NTFS_SI_SHORT', `$STANDARD_INFORMATION of ${value.length} bytes`);
  const v = viewOf(value);
  const si: StandardInformation = {
    created: v.getBigUint64(0, true),
    modified: v.getBigUint64(8, true),
    mftModified: v.getBigUint64(16, true),
    accessed: v.getBigUint64(24, true),
    fileAttributes: v.getUint32(32, true),
  };
  if (value.length >= 72) {
    si.ownerId = v.getUint32(0x30, true);
    si.securityId = v.getUint32(0x34, true);
    si.quotaCharged = v.getBigUint64(0x38, true);
    si.usn = v.getBigUint64(0x40, true);
  }
  return si;
}
