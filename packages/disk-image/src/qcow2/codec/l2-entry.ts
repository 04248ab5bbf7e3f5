/**
 * Pure decoding of qcow2 L2 entries into what a guest cluster (or each of its
 * 32 subclusters, with extended L2) reads from.
 *
 * References: qemu docs/interop/qcow2.txt, "Cluster mapping", "Compressed
 * Clusters Descriptor", "Extended L2 Entries" (subcluster states: allocated,
 * zero, unallocated; both bits set is invalid).
 */
import { FLAG_COMPRESSED, FLAG_COPIED, FLAG_ZERO, L2_OFFSET_MASK } from '../layout/table-entry.js';

export type ClusterMapping =
  /** Not in this image: the backing file, or zeros without one. */
  | { kind: 'unallocated' }
  | { kind: 'zero' }
  /** hostOffset in the data file (the image itself unless an external data file is used). */
  | { kind: 'data'; hostOffset: number }
  /** hostOffset is a byte offset (not aligned); size the bytes qemu reads (sector-rounded). */
  | { kind: 'compressed'; hostOffset: number; size: number };

/** Per-subcluster state of an extended L2 entry: 'a' allocated, 'z' zero, 'u' unallocated. */
export type SubclusterState = 'a' | 'z' | 'u';

export interface L2Decoding {
  mapping: ClusterMapping;
  /** Extended L2 only, for standard (not compressed) clusters: 32 states. */
  subclusters?: SubclusterState[];
  /** A problem qemu treats as corruption (unaligned offset, both bitmap bits). */
  problem?: string;
}

export interface L2Context {
  clusterBits: number;
  version: 2 | 3;
  extendedL2: boolean;
  externalDataFile: boolean;
}

export function decodeL2Entry(entry: bigint, bitmap: bigint, ctx: L2Context): L2Decoding {
  if (entry & FLAG_COMPRESSED) {
    const x = 62 - (ctx.clusterBits - 8);
    const offsetMask = (1n << BigInt(x)) - 1n;
    const hostOffset = Number(entry & offsetMask);
    const sectors = Number((entry >> BigInt(x)) & ((1n << BigInt(62 - x)) - 1n)) + 1;
    const size = sectors * 512 - (hostOffset % 512);
    if (ctx.externalDataFile) return { mapping: { kind: 'unallocated' }, problem: 'compressed cluster in an image with an external data file' };
    if (ctx.extendedL2 && bitmap !== 0n) return { mapping: { kind: 'compressed', hostOffset, size }, problem: 'compressed cluster with a non-zero subcluster bitmap' };
    return { mapping: { kind: 'compressed', hostOffset, size } };
  }
  const hostOffset = Number(entry & L2_OFFSET_MASK);
  const allocated = hostOffset !== 0 || (ctx.externalDataFile && (entry & FLAG_COPIED) !== 0n);
  const unaligned = hostOffset % 2 ** ctx.clusterBits !== 0 ? `host offset 0x${hostOffset.toString(16)} is not cluster-aligned` : undefined;
  if (ctx.extendedL2) {
    const alloc = Number(bitmap & 0xffffffffn);
    const zero = Number((bitmap >> 32n) & 0xffffffffn);
    const states: SubclusterState[] = [];
    let problem = unaligned;
    for (let i = 0; i < 32; i++) {
      const a = (alloc >>> i) & 1;
      const z = (zero >>> i) & 1;
      if (a && z) problem ??= `subcluster ${i} is both allocated and zero`;
      states.push(a ? 'a' : z ? 'z' : 'u');
    }
    if (!allocated && alloc !== 0) problem ??= 'subclusters marked allocated in an unallocated cluster';
    return { mapping: allocated ? { kind: 'data', hostOffset } : { kind: 'unallocated' }, subclusters: states, problem };
  }
  // Bit 0 ("reads as zeros") exists from version 3 on; version 2 has no zero clusters.
  if (ctx.version === 3 && (entry & FLAG_ZERO)) return { mapping: { kind: 'zero' }, problem: allocated ? unaligned : undefined };
  if (!allocated) return { mapping: { kind: 'unallocated' } };
  return { mapping: { kind: 'data', hostOffset }, problem: unaligned };
}
