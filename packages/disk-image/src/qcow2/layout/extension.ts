/**
 * qcow2 header extensions: a list of (type, length, data padded to 8 bytes)
 * after the header, ended by type 0, all inside the first cluster; and the
 * 48-byte feature name table entry.
 *
 * References: qemu docs/interop/qcow2.txt, "Header extensions", "Feature
 * name table"; libyal libqcow documentation, "Header extensions".
 */
import { defineStruct } from '@coldfix/io';

export const Qcow2ExtensionHeaderStruct = defineStruct('Qcow2ExtensionHeader', 8, {
  type: { offset: 0, type: 'u32be' },
  length: { offset: 4, type: 'u32be' },
});

export const ExtensionType = {
  end: 0x00000000,
  backingFileFormat: 0xe2792aca,
  featureNameTable: 0x6803f857,
  bitmaps: 0x23852875,
  fullDiskEncryption: 0x0537be77,
  externalDataFile: 0x44415441,
} as const;

export const FeatureNameEntryStruct = defineStruct('Qcow2FeatureName', 48, {
  /** 0 incompatible, 1 compatible, 2 autoclear. */
  type: { offset: 0, type: 'u8' },
  bit: { offset: 1, type: 'u8' },
  name: { offset: 2, type: 'ascii', size: 46 },
});
