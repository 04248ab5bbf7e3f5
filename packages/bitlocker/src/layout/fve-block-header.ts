/**
 * FVE metadata block header: the 64 bytes at the start of each of the three
 * metadata blocks.
 *
 * References: libbde format doc §3.1 "FVE metadata block header" (v1 and v2);
 * dislocker `bitlocker_information_t`; cryptsetup `struct bitlk_superblock`.
 *
 *   offset size  v2 (Windows 7+)                        v1 (Vista)
 *   0      8     "-FVE-FS-"
 *   8      2     block size in 16-byte units (v2)        unknown
 *   10     2     version (1 or 2)
 *   12     2     current state                           (same)
 *   14     2     next state                              (same)
 *   16     8     encrypted volume size (bytes)           unknown (0)
 *   24     4     convert size (unknown use)              unknown
 *   28     4     number of volume header sectors         unknown
 *   32     3×8   metadata block 1…3 offsets (bytes)
 *   56     8     volume header backup offset (bytes)     MFT mirror cluster (LCN)
 */
import { defineStruct } from '@coldfix/io';

export const FveBlockHeader = defineStruct('FveBlockHeader', 64, {
  signature: { offset: 0, type: 'ascii', size: 8 },
  sizeIn16ByteUnits: { offset: 8, type: 'u16le' },
  version: { offset: 10, type: 'u16le' },
  currentState: { offset: 12, type: 'u16le' },
  nextState: { offset: 14, type: 'u16le' },
  encryptedVolumeSize: { offset: 16, type: 'u64le' },
  convertSize: { offset: 24, type: 'u32le' },
  volumeHeaderSectorCount: { offset: 28, type: 'u32le' },
  metadataOffset1: { offset: 32, type: 'u64le' },
  metadataOffset2: { offset: 40, type: 'u64le' },
  metadataOffset3: { offset: 48, type: 'u64le' },
  volumeHeaderOffset: { offset: 56, type: 'u64le' },
});

/**
 * Conversion states (dislocker names in brackets). libbde and dissect agree on
 * 1 and 4; 2, 3 and 5 are conversion in progress or paused.
 */
export const FveState = {
  decrypted: 1, // [DECRYPTED]
  switching: 2, // [SWITCHING_ENCRYPTION] conversion running
  eowActivated: 3, // [EOW_ACTIVATED] seen on a paused Windows 7 conversion
  encrypted: 4, // [ENCRYPTED]
  switchPaused: 5, // [SWITCH_ENCRYPTION_PAUSED]
} as const;

/** Size of each FVE metadata block region (reads as zeros through the volume). */
export const FVE_METADATA_REGION_SIZE = 0x10000;
