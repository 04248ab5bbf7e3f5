/**
 * seSparse (space-efficient sparse, ESXi 6.5+ on VMFS6 snapshot deltas):
 * constant header at sector 0 and volatile header, little-endian. All offsets
 * and sizes are in 512-byte sectors. VMware has not published the format;
 * these fields follow qemu's reverse-engineered reader (block/vmdk.c,
 * VMDKSESparseConstHeader / VMDKSESparseVolatileHeader, 2019) and dissect.hypervisor.
 */
import { defineStruct } from '@coldfix/io';

export const SESPARSE_CONST_MAGIC = 0xcafebaben;
export const SESPARSE_VOLATILE_MAGIC = 0xcafecafen;
export const SESPARSE_VERSION = 0x200000001n;

export const SeSparseConstHeaderStruct = defineStruct('SeSparseConstHeader', 512, {
  magic: { offset: 0, type: 'u64le' },
  version: { offset: 8, type: 'u64le' },
  capacity: { offset: 16, type: 'u64le' },
  /** Sectors per grain: 8 (4 KiB) is the only value seen and accepted. */
  grainSize: { offset: 24, type: 'u64le' },
  /** Sectors per grain table: 64 (4096 eight-byte entries). */
  grainTableSize: { offset: 32, type: 'u64le' },
  flags: { offset: 40, type: 'u64le' },
  reserved1: { offset: 48, type: 'u64le' },
  reserved2: { offset: 56, type: 'u64le' },
  reserved3: { offset: 64, type: 'u64le' },
  reserved4: { offset: 72, type: 'u64le' },
  volatileHeaderOffset: { offset: 80, type: 'u64le' },
  volatileHeaderSize: { offset: 88, type: 'u64le' },
  journalHeaderOffset: { offset: 96, type: 'u64le' },
  journalHeaderSize: { offset: 104, type: 'u64le' },
  journalOffset: { offset: 112, type: 'u64le' },
  journalSize: { offset: 120, type: 'u64le' },
  grainDirOffset: { offset: 128, type: 'u64le' },
  grainDirSize: { offset: 136, type: 'u64le' },
  grainTablesOffset: { offset: 144, type: 'u64le' },
  grainTablesSize: { offset: 152, type: 'u64le' },
  freeBitmapOffset: { offset: 160, type: 'u64le' },
  freeBitmapSize: { offset: 168, type: 'u64le' },
  backmapOffset: { offset: 176, type: 'u64le' },
  backmapSize: { offset: 184, type: 'u64le' },
  grainsOffset: { offset: 192, type: 'u64le' },
  grainsSize: { offset: 200, type: 'u64le' },
});
export type SeSparseConstHeader = ReturnType<typeof SeSparseConstHeaderStruct.decode>;

export const SeSparseVolatileHeaderStruct = defineStruct('SeSparseVolatileHeader', 32, {
  magic: { offset: 0, type: 'u64le' },
  freeGtNumber: { offset: 8, type: 'u64le' },
  nextTxnSeqNumber: { offset: 16, type: 'u64le' },
  /** Non-zero: the journal must be replayed before the tables are consistent. */
  replayJournal: { offset: 24, type: 'u64le' },
});
