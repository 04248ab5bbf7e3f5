/**
 * VHDX file type identifier: the first structure of the file, at offset 0
 * (its 64 KiB slot is never rewritten after creation).
 *
 * References: MS-VHDX §2.2.1 "File Type Identifier"; libyal libvhdi
 * "Virtual Hard Disk version 2 (VHDX) image format" §2.
 */
import { defineStruct } from '@coldfix/io';

export const VHDX_SIGNATURE = 'vhdxfile';

export const VhdxFileIdentifierStruct = defineStruct('VhdxFileIdentifier', 520, {
  /** "vhdxfile". */
  signature: { offset: 0, type: 'ascii', size: 8 },
  /** UTF-16LE, optional, diagnostic only ("Microsoft Windows 10.0.18363.0", "QEMU v7.2.22"). */
  creator: { offset: 8, type: 'utf16le', size: 512 },
});
