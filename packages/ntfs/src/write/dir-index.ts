/**
 * A directory's $I30 index opened for editing inside a WriteTxn: the root
 * from $INDEX_ROOT (resident, in the record that holds it), INDX blocks read
 * through $INDEX_ALLOCATION's runs, and the $BITMAP of blocks in use.
 *
 * References: NTFS documentation ("$INDEX_ROOT", "$INDEX_ALLOCATION", "INDX
 * record"); ntfs-3g index.c (ntfs_ib_read VCN-to-byte conversion: VCNs count
 * clusters when a block is at least a cluster, else 512-byte units).
 *
 *   $INDEX_ROOT value: 0 attribute type | 4 collation | 8 block size | 12 clusters/block | 16 INDEX_HEADER
 *   INDX block: 0 "INDX" | 4 usa | 8 LSN | 16 VCN | 24 INDEX_HEADER
 */
import { CorruptError, viewOf } from '@coldfix/io';
import { decodeIndexBlockHeader } from '../layout/index-node.js';
import { FIXUP_STRIDE, removeFixups } from '../codec/block-fixup.js';
import { AttrType, attributeRuns, listAttributes, residentValue, type AttrRecord } from '../record/record-bytes.js';
import type { Run } from '../codec/runlist.js';
import { decodeIndexNode, encodeIndexNode, nodeLength, type IndexNode } from './index-node.js';
import { IndexEditor } from './index-tree.js';
import { BitmapEditor, type WriteTxn } from './txn.js';

const LAYER = 'ntfs-write';

export class DirIndex {
  readonly editor: IndexEditor;
  private rootAttr: AttrRecord;
  private constructor(
    private readonly txn: WriteTxn,
    readonly dir: number,
    private readonly rootRecord: number,
    rootAttr: AttrRecord,
    root: IndexNode,
    readonly blockSize: number,
    private readonly allocRuns: Run[],
    private readonly bitmap: { resident: true; record: number; attr: AttrRecord } | { resident: false; editor: BitmapEditor } | null,
    readonly indexName = '$I30',
  ) {
    this.rootAttr = rootAttr;
    this.editor = new IndexEditor(root, (vcn) => this.loadBlock(vcn), (n) => this.capacity(n));
  }

  /** Opens directory `dir`'s $I30. @throws CorruptError when it has no $INDEX_ROOT named $I30. */
  static async open(txn: WriteTxn, dir: number, indexName = '$I30'): Promise<DirIndex> {
    const extents = await txn.vol.extents(dir, await txn.record(dir));
    const i30 = extents.filter((x) => x.attr.name === indexName);
    const rootX = i30.find((x) => x.attr.type === AttrType.indexRoot && !x.attr.nonResident);
    if (!rootX) throw new CorruptError(`MFT record ${dir} has no ${indexName} index root (not a directory?)`, { code: 'NTFS_DIR_NO_ROOT', layer: LAYER, details: { record: dir } });
    const rec = await txn.record(rootX.record);
    const attr = listAttributes(rec, rootX.record).find((a) => a.offset === rootX.attr.offset)!;
    const value = residentValue(rec, attr);
    const blockSize = viewOf(value).getUint32(8, true);
    if (blockSize < 512 || blockSize > 65536 || blockSize & (blockSize - 1)) {
      throw new CorruptError(`directory ${dir}: index block size ${blockSize} is invalid`, { code: 'NTFS_INDEX_BLOCK_SIZE', layer: LAYER, details: { record: dir, blockSize } });
    }
    const root = decodeIndexNode(value, 16, 'root');
    const allocRuns = i30.filter((x) => x.attr.type === AttrType.indexAllocation && x.attr.nonResident)
      .sort((a, b) => a.attr.lowestVcn - b.attr.lowestVcn).flatMap((x) => attributeRuns(x.rec, x.attr));
    const bmX = i30.find((x) => x.attr.type === AttrType.bitmap);
    let bitmap: DirIndex['bitmap'] = null;
    if (bmX) {
      bitmap = bmX.attr.nonResident
        ? { resident: false, editor: txn.bitmap(`${dir}:${indexName}`, () => new BitmapEditor(`${indexName} $BITMAP of record ${dir}`, txn.vol, attributeRuns(bmX.rec, bmX.attr), bmX.attr.dataSize)) }
        : { resident: true, record: bmX.record, attr: bmX.attr };
    }
    return new DirIndex(txn, dir, rootX.record, attr, root, blockSize, allocRuns, bitmap, indexName);
  }

  /** Reads an INDX block by VCN (read-only use by the checker). */
  readBlock(vcn: number): Promise<IndexNode> {
    return this.loadBlock(vcn);
  }

  /** Whether this index has INDX blocks at all, and the bytes of its block $BITMAP (null when absent). */
  async allocationBitmap(): Promise<Uint8Array | null> {
    const bm = this.bitmap;
    if (!bm) return null;
    if (bm.resident) return residentValue(await this.txn.record(bm.record), bm.attr).slice();
    return this.txn.vol.readStream(bm.editor.runs, 0, bm.editor.size);
  }

  /** Number of INDX blocks the allocation maps. */
  get blockCount(): number {
    const last = this.allocRuns[this.allocRuns.length - 1];
    return last ? Math.floor(((last.vcn + last.length) * this.txn.vol.geometry.clusterSize) / this.blockSize) : 0;
  }

  /** Bit index in the block $BITMAP of the block at `vcn`. */
  bitOf(vcn: number): number {
    return (vcn * this.vcnSize) / this.blockSize;
  }

  /** Bytes per VCN in this index: a cluster, or 512 when blocks are smaller than clusters. */
  private get vcnSize(): number {
    return this.blockSize >= this.txn.vol.geometry.clusterSize ? this.txn.vol.geometry.clusterSize : 512;
  }

  private key(vcn: number): string {
    return `${this.dir}:${this.indexName}:${vcn}`;
  }

  private async loadBlock(vcn: number): Promise<IndexNode> {
    // A block already read in this transaction is decoded from its working copy (it may hold edits).
    const known = this.txn.blocks.get(this.key(vcn));
    if (known) return decodeIndexNode(known.bytes, 24, vcn);
    const offset = vcn * this.vcnSize;
    const pieces = this.txn.vol.streamPieces(this.allocRuns, offset, this.blockSize);
    if (pieces.some((p) => p.device < 0)) throw new CorruptError(`directory ${this.dir}: index block ${vcn} is sparse`, { code: 'NTFS_INDEX_SPARSE', layer: LAYER, details: { record: this.dir, vcn } });
    const bytes = await this.txn.vol.readPieces(pieces);
    if (viewOf(bytes).getUint32(0, true) !== 0x58444e49) {
      throw new CorruptError(`directory ${this.dir}: index block ${vcn} has no INDX signature`, { code: 'NTFS_INDEX_BAD_SIGNATURE', layer: LAYER, offset: pieces[0].device, details: { record: this.dir, vcn } });
    }
    removeFixups(bytes, FIXUP_STRIDE, pieces[0].device);
    const stored = decodeIndexBlockHeader(bytes, pieces[0].device).vcn;
    if (stored !== vcn) throw new CorruptError(`directory ${this.dir}: index block at VCN ${vcn} says VCN ${stored}`, { code: 'NTFS_INDEX_VCN_MISMATCH', layer: LAYER, offset: pieces[0].device });
    this.txn.blocks.set(this.key(vcn), { what: `INDX block ${vcn} of directory ${this.dir}`, bytes, pieces });
    return decodeIndexNode(bytes, 24, vcn);
  }

  private capacity(n: IndexNode): number {
    if (n.vcn !== 'root') return n.allocatedSize;
    const h = viewOf(this.recordBytes());
    const free = h.getUint32(0x1c, true) - h.getUint32(0x18, true);
    return this.rootAttr.valueLength - 16 + free;
  }

  private recordBytes(): Uint8Array {
    // The root record's working copy is loaded in `open`, so this is synchronous.
    return this.txn.loadedRecord(this.rootRecord);
  }

  /** Writes the edited nodes back into the transaction's working copies and clears freed blocks' bits. */
  async flush(): Promise<void> {
    this.editor.checkCapacity();
    for (const n of this.editor.dirty) {
      if (n.vcn === 'root') this.writeRoot(n);
      else {
        const b = this.txn.blocks.get(this.key(n.vcn))!;
        encodeIndexNode(n, b.bytes, 24, viewOf(b.bytes).getUint32(24 + 8, true));
        this.txn.dirtyBlocks.add(this.key(n.vcn));
      }
    }
    for (const vcn of this.editor.freed) {
      const bit = (vcn * this.vcnSize) / this.blockSize;
      if (!this.bitmap) throw new CorruptError(`directory ${this.dir} has index blocks but no $BITMAP`, { code: 'NTFS_INDEX_NO_BITMAP', layer: LAYER });
      const bm = this.bitmap;
      if (bm.resident) {
        const rec = await this.txn.record(bm.record);
        // Looked up afresh: rewriting the root may have moved the attributes after it.
        const attr = listAttributes(rec, bm.record).find((a) => a.type === AttrType.bitmap && a.name === this.indexName && !a.nonResident)!;
        const value = residentValue(rec, attr);
        if ((bit >> 3) >= value.length) throw new CorruptError('index $BITMAP shorter than its blocks', { code: 'NTFS_INDEX_BITMAP_SHORT', layer: LAYER });
        value[bit >> 3] &= ~(1 << (bit & 7));
        this.txn.touchRecord(bm.record);
      } else {
        await bm.editor.clear(bit, 1);
      }
    }
  }

  /** Re-encodes the root into its record, shrinking or growing the resident value and moving the attributes after it. */
  private writeRoot(n: IndexNode): void {
    const rec = this.recordBytes();
    const v = viewOf(rec);
    const a = this.rootAttr;
    const newIndexLength = nodeLength(n);
    const newValueLength = 16 + newIndexLength;
    const delta = newValueLength - a.valueLength;
    const bytesInUse = v.getUint32(0x18, true);
    const tailFrom = a.offset + a.length;
    if (bytesInUse + delta > rec.length) throw new CorruptError('index root does not fit its record', { code: 'NTFS_INDEX_SPLIT_NEEDED', layer: LAYER });
    rec.copyWithin(tailFrom + delta, tailFrom, bytesInUse);
    if (delta < 0) rec.fill(0, bytesInUse + delta, bytesInUse);
    v.setUint32(a.offset + 4, a.length + delta, true);
    v.setUint32(a.offset + 0x10, newValueLength, true);
    v.setUint32(0x18, bytesInUse + delta, true);
    const valueAt = a.offset + a.valueOffset;
    encodeIndexNode(n, rec.subarray(valueAt, valueAt + newValueLength), 16, newIndexLength);
    this.rootAttr = { ...a, length: a.length + delta, valueLength: newValueLength };
    this.txn.touchRecord(this.rootRecord);
  }
}
