/**
 * VHD parent locator entry (24 bytes, big-endian); eight of them sit in the
 * dynamic header at offset 576.
 *
 * References: Microsoft VHD specification 1.0 (2006), "Parent Locator
 * Entries"; libyal libvhdi format document §3.1. The specification says
 * `platformDataSpace` counts 512-byte sectors, but Windows stores bytes there
 * (the dfvfs fat-differential.vhd made by Windows 10 has 4096 and 65536);
 * libvhdi notes the same.
 */
import { defineStruct } from '@coldfix/io';

export const VHD_PARENT_LOCATOR_SIZE = 24;

export const VhdParentLocatorStruct = defineStruct('VhdParentLocator', VHD_PARENT_LOCATOR_SIZE, {
  platformCode: { offset: 0, type: 'ascii', size: 4 },
  platformDataSpace: { offset: 4, type: 'u32be' },
  /** Bytes of locator data. */
  platformDataLength: { offset: 8, type: 'u32be' },
  reserved: { offset: 12, type: 'u32be' },
  /** Absolute byte offset of the locator data in the file. */
  platformDataOffset: { offset: 16, type: 'u64be' },
});

/**
 * Platform codes: `W2ru` / `W2ku` relative / absolute Windows paths in
 * UTF-16LE; `Wi2r` / `Wi2k` the deprecated ANSI forms; `MacX` a UTF-8 file
 * URL; `Mac ` a Mac OS alias blob (not decoded).
 */
export const VhdPlatformCode = {
  none: '',
  windowsRelativeUnicode: 'W2ru',
  windowsAbsoluteUnicode: 'W2ku',
  windowsRelativeAnsi: 'Wi2r',
  windowsAbsoluteAnsi: 'Wi2k',
  macAlias: 'Mac ',
  macUrl: 'MacX',
} as const;
