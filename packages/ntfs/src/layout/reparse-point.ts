/**
 * $REPARSE_POINT (0xC0): tag u32 | data length u16 | reserved u16 | data
 * (MS-FSCC 2.1.2; libfsntfs "The reparse point attribute"). Microsoft tags
 * carry no GUID; others have a 16-byte GUID before the data.
 */
import { viewOf } from '@coldfix/io';
import { corrupt } from '../errors.js';

export const ReparseTag = {
  mountPoint: 0xa0000003,
  symlink: 0xa000000c,
  dedup: 0x80000013,
  wof: 0x80000017,
  appExecLink: 0x8000001b,
  lxSymlink: 0xa000001d,
  /** IO_REPARSE_TAG_CLOUD .. CLOUD_F: 0x9000?01A (MS-FSCC 2.1.2.1). */
  cloudMask: 0xffff0fff,
  cloud: 0x9000001a,
} as const;

export type ReparseKind = 'junction' | 'symlink' | 'cloud' | 'wof' | 'dedup' | 'appexeclink' | 'lx-symlink' | 'other';

export interface ReparsePoint {
  tag: number;
  kind: ReparseKind;
  /** Substitute name (target) for junctions and symlinks. */
  target?: string;
  printName?: string;
  /** Symlink flags: 1 = relative. */
  relative?: boolean;
  dataLength: number;
}

export function reparseKind(tag: number): ReparseKind {
  if (tag === ReparseTag.mountPoint) return 'junction';
  if (tag === ReparseTag.symlink) return 'symlink';
  if (((tag & ReparseTag.cloudMask) >>> 0) === ReparseTag.cloud) return 'cloud';
  if (tag === ReparseTag.wof) return 'wof';
  if (tag === ReparseTag.dedup) return 'dedup';
  if (tag === ReparseTag.appExecLink) return 'appexeclink';
  if (tag === ReparseTag.lxSymlink) return 'lx-symlink';
  return 'other';
}

function utf16(bytes: Uint8Array, at: number, length: number): string {
  let s = '';
  for (let i = 0; i + 1 < length && at + i + 1 < bytes.length; i += 2) s += String.fromCharCode(bytes[at + i] | (bytes[at + i + 1] << 8));
  return s;
}

export function decodeReparsePoint(value: Uint8Array): ReparsePoint {
  if (value.length < 8) throw corrupt('NTFS_REPARSE_SHORT', `$REPARSE_POINT of ${value.length} bytes`);
  const v = viewOf(value);
  const tag = v.getUint32(0, true);
  const dataLength = v.getUint16(4, true);
  const kind = reparseKind(tag);
  const point: ReparsePoint = { tag, kind, dataLength };
  if ((kind === 'junction' || kind === 'symlink') && value.length >= 16) {
    const subOffset = v.getUint16(8, true);
    const subLength = v.getUint16(10, true);
    const printOffset = v.getUint16(12, true);
    const printLength = v.getUint16(14, true);
    let pathBase = 16;
    if (kind === 'symlink') {
      if (value.length < 20) return point;
      point.relative = (v.getUint32(16, true) & 1) === 1;
      pathBase = 20;
    }
    point.target = utf16(value, pathBase + subOffset, subLength);
    point.printName = utf16(value, pathBase + printOffset, printLength);
  }
  return point;
}
