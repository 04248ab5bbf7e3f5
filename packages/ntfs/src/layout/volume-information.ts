/**
 * $VOLUME_INFORMATION (0x70) of $Volume (record 3): 8 reserved bytes, major and
 * minor version, flags (0x0001 = dirty). libfsntfs "The volume information attribute".
 */
import { viewOf } from '@coldfix/io';
import { corrupt } from '../errors.js';

export const VolumeFlag = { dirty: 0x0001, resizeLogFile: 0x0002, upgradeOnMount: 0x0004, mountedOnNt4: 0x0008, deleteUsnUnderway: 0x0010, repairObjectIds: 0x0020, chkdskUnderway: 0x4000, modifiedByChkdsk: 0x8000 } as const;

export interface VolumeInformation {
  majorVersion: number;
  minorVersion: number;
  flags: number;
}

export function decodeVolumeInformation(value: Uint8Array): VolumeInformation {
  if (value.length < 12) throw corrupt('NTFS_VOLINFO_SHORT', `$VOLUME_INFORMATION of ${value.length} bytes`);
  return { majorVersion: value[8], minorVersion: value[9], flags: viewOf(value).getUint16(10, true) };
}
