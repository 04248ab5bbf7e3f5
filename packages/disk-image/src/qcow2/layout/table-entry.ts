/**
 * qcow2 L1 and L2 table entries (big-endian 64-bit words; an extended L2
 * entry adds a 64-bit subcluster bitmap). Bit fields are decoded by
 * codec/l2-entry.ts.
 *
 * ```
 * L1 entry:  63 copied | 62..56 reserved | 55..9 L2 table offset | 8..0 reserved
 * L2 entry:  63 copied | 62 compressed | 61..0 cluster descriptor
 *   standard descriptor:   55..9 host cluster offset | 8..1 reserved | 0 all zeros (v3)
 *   compressed descriptor: 61..x sector count - 1 | x-1..0 host offset, x = 62 - (cluster_bits - 8)
 * extended L2 bitmap: 63..32 "reads as zero" per subcluster | 31..0 "allocated" per subcluster
 * ```
 * References: qemu docs/interop/qcow2.txt, "Cluster mapping", "Extended L2 Entries".
 */
import { defineStruct } from '@coldfix/io';

export const L1EntryStruct = defineStruct('Qcow2L1Entry', 8, {
  entry: { offset: 0, type: 'u64be' },
});

export const L2EntryStruct = defineStruct('Qcow2L2Entry', 8, {
  entry: { offset: 0, type: 'u64be' },
});

export const ExtendedL2EntryStruct = defineStruct('Qcow2ExtendedL2Entry', 16, {
  entry: { offset: 0, type: 'u64be' },
  bitmap: { offset: 8, type: 'u64be' },
});

export const L1_OFFSET_MASK = 0x00fffffffffffe00n;
export const L2_OFFSET_MASK = 0x00fffffffffffe00n;
export const FLAG_COPIED = 1n << 63n;
export const FLAG_COMPRESSED = 1n << 62n;
export const FLAG_ZERO = 1n;
export const SUBCLUSTERS_PER_CLUSTER = 32;
