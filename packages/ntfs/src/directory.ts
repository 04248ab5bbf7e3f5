/**
 * A directory's $I30 index: the B+ tree in $INDEX_ROOT (resident root node)
 * and $INDEX_ALLOCATION (INDX blocks with fixups), with $BITMAP marking the
 * blocks in use (libfsntfs "Index"; ntfs-3g index.c / dir.c).
 *
 *   root: [e1 ↓vcn0][e2 ↓vcn1][last ↓vcn2]      in-order: vcn0.., e1, vcn1.., e2, vcn2..
 *
 * Nodes are decoded structures with their VCN and entry offsets kept, so the
 * writer can locate and re-encode an entry.
 */
import type { ByteSource } from '@coldfix/io';
import { corrupt, limit, Limits } from './errors.js';
import { AttributeType, FileAttribute } from './layout/attribute-types.js';
import { decodeIndexBlockHeader, decodeIndexEntries, decodeIndexRoot, decodeNodeHeader, IndexEntryFlag, scanIndexNode, type IndexEntry, type IndexRoot, type IndexNodeHeader } from './layout/index-node.js';
import { applyFixups } from './codec/fixup.js';
import { decodeUtf16Units } from './codec/utf16.js';
import { findAttribute, type FileRecord, type JoinedAttribute } from './record-view.js';
import type { UpcaseTable } from './codec/upcase.js';
import type { DirEntry } from './types.js';
import type { NtfsVolume } from './volume.js';

/** Allocations up to this size are read in one go (walks); larger ones block by block. */
const PRELOAD_BYTES = 4 << 20;

export interface IndexNode {
  /** null for the root. */
  vcn: number | null;
  /** Root value or fixed-up INDX block. */
  bytes: Uint8Array;
  header: IndexNodeHeader;
  entries: IndexEntry[];
  lsn?: bigint;
}

export class DirectoryIndex {
  private preloaded: Uint8Array | null = null;
  private readonly fixedUp = new Set<number>();
  private readonly nodes = new Map<number, IndexNode>();
  private root$: IndexNode | null;
  /** Number of INDX blocks the allocation can hold. */
  readonly blockCount: number;

  private constructor(
    readonly volume: NtfsVolume,
    /** The directory's record; null for an index opened from its attributes alone (fromAttributes). */
    readonly record: FileRecord | null,
    readonly recordNumber: number,
    readonly root: IndexRoot,
    /** The $INDEX_ROOT value; its entries are decoded when rootNode is first asked for. */
    private readonly rootValue: Uint8Array,
    rootEntries: IndexEntry[] | null,
    readonly allocation: ByteSource | null,
    readonly bitmap: Uint8Array | null,
    readonly blockSize: number,
    /** Bytes per index VCN: the cluster size, or 512 when blocks are smaller than clusters. */
    readonly vcnSize: number,
  ) {
    this.blockCount = allocation ? Math.floor(allocation.size / blockSize) : 0;
    this.root$ = rootEntries ? { vcn: null, bytes: rootValue, header: root.node, entries: rootEntries } : null;
  }

  /** The root node, its entries decoded (checked already, by scanIndexNode, when opened). */
  get rootNode(): IndexNode {
    return (this.root$ ??= { vcn: null, bytes: this.rootValue, header: this.root.node, entries: decodeIndexEntries(this.rootValue, this.root.node, true) });
  }

  /**
   * Throws CorruptError (NTFS_NOT_DIRECTORY / NTFS_INDEX_*) when the record has no usable $I30.
   * `source` replaces the volume's source for the INDX blocks (listings read them below the block cache).
   */
  static async open(volume: NtfsVolume, record: FileRecord, indexName = '$I30', source?: ByteSource): Promise<DirectoryIndex> {
    return DirectoryIndex.fromAttributes(volume, record, record.recordNumber, (type) => findAttribute(record, type, indexName), indexName, source, record.extents[0]?.offset);
  }

  /**
   * open() from the index's attributes as `find` gives them ($INDEX_ROOT, $INDEX_ALLOCATION,
   * $BITMAP of the index), `record` null when the caller has no decoded record (a listing keeps
   * only those attributes of each directory). Same checks, same errors. An $I30 root is checked
   * by scanIndexNode (decodeIndexEntries' checks, no objects) and decoded on demand.
   */
  static async fromAttributes(
    volume: NtfsVolume, record: FileRecord | null, recordNumber: number, find: (type: number) => JoinedAttribute | null,
    indexName = '$I30', source?: ByteSource, where?: number,
  ): Promise<DirectoryIndex> {
    const rootAttr = find(AttributeType.indexRoot);
    if (!rootAttr?.value) throw corrupt('NTFS_NOT_DIRECTORY', `record ${recordNumber} has no ${indexName} $INDEX_ROOT`, where, { recordNumber });
    const root = decodeIndexRoot(rootAttr.value);
    let rootEntries: IndexEntry[] | null = null;
    if (indexName === '$I30') scanIndexNode(rootAttr.value, root.node);
    else rootEntries = decodeIndexEntries(rootAttr.value, root.node, false);
    const blockSize = root.indexBlockSize || volume.indexBlockSize;
    if (blockSize < 256 || blockSize > Limits.maxRecordSize || (blockSize & (blockSize - 1)) !== 0) throw corrupt('NTFS_INDEX_BLOCK_SIZE', `record ${recordNumber}: index block size ${blockSize}`);
    const allocAttr = find(AttributeType.indexAllocation);
    const allocation = allocAttr && !allocAttr.resident ? volume.attributeSource(allocAttr, `record ${recordNumber} ${indexName}`, source) : null;
    const bitmapAttr = find(AttributeType.bitmap);
    let bitmap: Uint8Array | null = null;
    if (bitmapAttr) bitmap = bitmapAttr.resident ? bitmapAttr.value ?? null : await volume.readNonResident(bitmapAttr, 1 << 20);
    const vcnSize = blockSize >= volume.clusterSize ? volume.clusterSize : 512;
    return new DirectoryIndex(volume, record, recordNumber, root, rootAttr.value, rootEntries, allocation, bitmap, blockSize, vcnSize);
  }

  /** Whether the $BITMAP marks block `vcn` in use (true when there is no bitmap). */
  blockInUse(vcn: number): boolean {
    if (!this.bitmap) return true;
    const block = Math.floor((vcn * this.vcnSize) / this.blockSize);
    return ((this.bitmap[block >> 3] ?? 0) & (1 << (block & 7))) !== 0;
  }

  /**
   * Reads and decodes the INDX block at `vcn`. `preload: false` reads that block alone even when the
   * allocation is small enough to preload (a B+ tree descent touches one block per level: preloading
   * System32's allocation for one lookup read ~100 times what the lookup needs).
   * Throws CorruptError (NTFS_INDX_*).
   */
  async node(vcn: number, preload = true): Promise<IndexNode> {
    const cached = this.nodes.get(vcn);
    if (cached) return cached;
    const { bytes, lsn } = await this.nodeBytes(vcn, preload);
    const nodeHeader = decodeNodeHeader(bytes, 0x18);
    const entries = decodeIndexEntries(bytes, nodeHeader, true);
    const node: IndexNode = { vcn, bytes, header: nodeHeader, entries, lsn };
    this.nodes.set(vcn, node);
    if (this.nodes.size > 64) this.nodes.delete(this.nodes.keys().next().value as number);
    return node;
  }

  /** The fixed-up INDX block at `vcn`, entries not decoded. Throws CorruptError (NTFS_INDX_*). */
  async nodeBytes(vcn: number, preload = true): Promise<{ bytes: Uint8Array; lsn: bigint }> {
    if (!this.allocation) throw corrupt('NTFS_INDEX_NO_ALLOCATION', `record ${this.recordNumber}: sub-node VCN ${vcn} but no $INDEX_ALLOCATION`);
    const offset = vcn * this.vcnSize;
    if (offset + this.blockSize > this.allocation.size) throw corrupt('NTFS_INDEX_VCN', `record ${this.recordNumber}: sub-node VCN ${vcn} outside the ${this.allocation.size}-byte allocation`);
    if (preload && !this.preloaded && this.allocation.size <= PRELOAD_BYTES && this.allocation.size > this.blockSize) {
      this.preloaded = await this.allocation.read(0, this.allocation.size);
    }
    // A view into the preloaded allocation (fixed up in place, once) or a private read.
    const bytes = this.preloaded ? this.preloaded.subarray(offset, offset + this.blockSize) : await this.allocation.read(offset, this.blockSize);
    const where = this.recordNumber;
    const header = decodeIndexBlockHeader(bytes);
    if (header.vcn !== vcn) this.volume.note(`record ${where}: INDX block at VCN ${vcn} says VCN ${header.vcn}`);
    if (!this.preloaded || !this.fixedUp.has(offset)) {
      const fix = applyFixups(bytes, header.usaOffset, header.usaCount);
      if (!fix.ok) throw corrupt('NTFS_INDX_FIXUP', `record ${where}: INDX block VCN ${vcn}: ${fix.problem}`);
      if (this.preloaded) this.fixedUp.add(offset);
    }
    return { bytes, lsn: header.lsn };
  }

  /**
   * Every name in collation order into `sink`, like collect() (same order,
   * same skipped sub-nodes and anomalies) but without an object per entry:
   * sub-nodes are checked by scanIndexNode, which throws where
   * decodeIndexEntries would.
   */
  async collectNames(sink: IndexNameSink): Promise<void> {
    const visited = new Set<number>();
    const where = this.recordNumber;
    const child = async (vcn: number, depth: number): Promise<void> => {
      if (visited.has(vcn)) {
        this.volume.note(`record ${where}: $I30 sub-node VCN ${vcn} referenced twice`);
        return;
      }
      visited.add(vcn);
      let bytes: Uint8Array;
      let offsets: number[];
      try {
        bytes = (await this.nodeBytes(vcn)).bytes;
        offsets = scanIndexNode(bytes, decodeNodeHeader(bytes, 0x18));
      } catch (error) {
        this.volume.noteSkipped({ kind: 'index-block', record: where, message: `record ${where}: ${(error as Error).message}` });
        return;
      }
      await visitRaw(bytes, offsets, depth + 1);
    };
    const visitRaw = async (bytes: Uint8Array, offsets: number[], depth: number): Promise<void> => {
      if (depth > Limits.maxIndexDepth) throw limit('NTFS_INDEX_DEPTH', `record ${where}: $I30 deeper than ${Limits.maxIndexDepth}`);
      for (const at of offsets) {
        const flags = bytes[at + 12];
        if (flags & IndexEntryFlag.hasSubnode) await child(readVcn(bytes, at), depth);
        if (flags & IndexEntryFlag.last || (bytes[at + 10] | (bytes[at + 11] << 8)) === 0) continue;
        const key = at + 16;
        const name = decodeUtf16Units(bytes, key + 0x42, bytes[key + 0x40]);
        // A namespace byte above 3 reads as posix, as namespaceName (decodeFileName) reads it.
        sink.add(name, bytes[key + 0x41] > 3 ? 0 : bytes[key + 0x41], bytes[at] + bytes[at + 1] * 0x100 + bytes[at + 2] * 0x10000 + bytes[at + 3] * 0x1000000 + bytes[at + 4] * 0x100000000 + bytes[at + 5] * 0x10000000000, bytes[at + 6] | (bytes[at + 7] << 8));
      }
    };
    // The root was checked by open() (it does not throw here).
    await visitRaw(this.rootValue, scanIndexNode(this.rootValue, this.root.node), 0);
  }

  /**
   * Every entry in collation order, as one array (awaits only to load INDX
   * blocks: much cheaper than an async generator per entry on big walks).
   * Corrupt sub-nodes are skipped with an anomaly (strict: thrown).
   */
  async collect(): Promise<DirEntry[]> {
    const out: DirEntry[] = [];
    const visited = new Set<number>();
    const visit = async (node: IndexNode, depth: number): Promise<void> => {
      if (depth > Limits.maxIndexDepth) throw limit('NTFS_INDEX_DEPTH', `record ${this.recordNumber}: $I30 deeper than ${Limits.maxIndexDepth}`);
      for (const entry of node.entries) {
        if (entry.subnodeVcn !== null) {
          if (visited.has(entry.subnodeVcn)) this.volume.note(`record ${this.recordNumber}: $I30 sub-node VCN ${entry.subnodeVcn} referenced twice`);
          else {
            visited.add(entry.subnodeVcn);
            let child: IndexNode | null = null;
            try {
              child = await this.node(entry.subnodeVcn);
            } catch (error) {
              this.volume.noteSkipped({ kind: 'index-block', record: this.recordNumber, message: `record ${this.recordNumber}: ${(error as Error).message}` });
            }
            if (child) await visit(child, depth + 1);
          }
        }
        if (!entry.isLast && entry.fileName) out.push(toDirEntry(entry, node.vcn));
      }
    };
    await visit(this.rootNode, 0);
    return out;
  }

  /** In-order traversal (collation order), streaming node by node. Corrupt sub-nodes are skipped with an anomaly (strict: thrown). */
  async *entries(): AsyncGenerator<DirEntry> {
    const visited = new Set<number>();
    const self = this;
    async function* visit(node: IndexNode, depth: number): AsyncGenerator<DirEntry> {
      if (depth > Limits.maxIndexDepth) throw limit('NTFS_INDEX_DEPTH', `record ${self.recordNumber}: $I30 deeper than ${Limits.maxIndexDepth}`);
      for (const entry of node.entries) {
        if (entry.subnodeVcn !== null) {
          if (visited.has(entry.subnodeVcn)) self.volume.note(`record ${self.recordNumber}: $I30 sub-node VCN ${entry.subnodeVcn} referenced twice`);
          else {
            visited.add(entry.subnodeVcn);
            let child: IndexNode | null = null;
            try {
              child = await self.node(entry.subnodeVcn);
            } catch (error) {
              self.volume.noteSkipped({ kind: 'index-block', record: self.recordNumber, message: `record ${self.recordNumber}: ${(error as Error).message}` });
            }
            if (child) yield* visit(child, depth + 1);
          }
        }
        if (!entry.isLast && entry.fileName) yield toDirEntry(entry, node.vcn);
      }
    }
    yield* visit(this.rootNode, 0);
  }

  /**
   * B+ tree descent by $UpCase collation. Among entries equal ignoring case
   * (POSIX names may differ only in case), an exact match wins.
   */
  async lookup(name: string, upcase: UpcaseTable): Promise<DirEntry | null> {
    let best: DirEntry | null = null;
    const search = async (node: IndexNode, depth: number): Promise<boolean> => {
      if (depth > Limits.maxIndexDepth) throw limit('NTFS_INDEX_DEPTH', `record ${this.recordNumber}: $I30 deeper than ${Limits.maxIndexDepth}`);
      for (const entry of node.entries) {
        const c = entry.isLast || !entry.fileName ? -1 : upcase.compareIgnoreCase(name, entry.fileName.name);
        if (c <= 0 && entry.subnodeVcn !== null) {
          // Equal keys may also sit in the left sub-tree.
          if (await search(await this.node(entry.subnodeVcn, false), depth + 1)) return true;
        }
        if (c === 0 && entry.fileName) {
          const candidate = toDirEntry(entry, node.vcn);
          if (entry.fileName.name === name) {
            best = candidate;
            return true;
          }
          if (!best || best.namespace === 'dos') best = candidate;
          continue;
        }
        if (c < 0) return false;
      }
      return false;
    };
    await search(this.rootNode, 0);
    return best;
  }
}

/** Receives the names of collectNames(), in order. */
export interface IndexNameSink {
  add(name: string, namespace: number, recordNumber: number, sequence: number): void;
}


/** Sub-node VCN in the last 8 bytes of the entry at `at` (already checked below 2^53 by scanIndexNode). */
function readVcn(bytes: Uint8Array, at: number): number {
  const length = bytes[at + 8] | (bytes[at + 9] << 8);
  const v = at + length - 8;
  return (bytes[v] | (bytes[v + 1] << 8) | (bytes[v + 2] << 16)) + bytes[v + 3] * 0x1000000 + ((bytes[v + 4] | (bytes[v + 5] << 8) | (bytes[v + 6] << 16)) + bytes[v + 7] * 0x1000000) * 0x100000000;
}

export function toDirEntry(entry: IndexEntry, vcn: number | null): DirEntry {
  const fn = entry.fileName!;
  return {
    name: fn.name,
    namespace: fn.namespace,
    recordNumber: entry.recordNumber,
    sequence: entry.sequence,
    parentRecordNumber: fn.parentRecordNumber,
    parentSequence: fn.parentSequence,
    isDirectory: (fn.flags & FileAttribute.fileNameIndexPresent) !== 0,
    created: fn.created,
    modified: fn.modified,
    mftModified: fn.mftModified,
    accessed: fn.accessed,
    allocatedSize: fn.allocatedSize,
    size: fn.dataSize,
    fileAttributes: fn.flags,
    reparseTag: fn.reparseTag,
    location: { vcn, offset: entry.offset },
  };
}
