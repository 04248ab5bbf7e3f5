/**
 * qcow2 refcounts for the writer: 16-bit refcounts only (refcount_order 4, the
 * default and the only width of version 2), in refcount blocks that already
 * exist. Allocating refcount blocks or growing the refcount table is not
 * implemented: an allocation they would need is refused before anything is
 * written.
 *
 * ```
 * host cluster h ─┬─ refcount table index = h / (cluster_size * 8 / 16)
 *                 └─ index in the block   = h mod (cluster_size * 8 / 16)
 * ```
 * References: qemu docs/interop/qcow2.txt, "Host cluster management".
 */
import type { ByteSource, WritableByteSource } from '@coldfix/io';
import type { Qcow2Header } from '../header-reader.js';
import { hex, qcow2Corrupt, qcow2Unsupported } from '../qcow2-errors.js';

const BLOCK_OFFSET_MASK = 0xfffffffffffffe00n;

export class Refcounts {
  private readonly perBlock: number;
  private readonly tableEntries: number;

  constructor(
    private readonly file: ByteSource,
    private readonly header: Qcow2Header,
  ) {
    this.perBlock = header.clusterSize / 2;
    this.tableEntries = (header.refcountTableClusters * header.clusterSize) / 8;
  }

  /** File offset of the 16-bit refcount of host cluster `hostOffset`; throws UnsupportedError when its block is missing. */
  async locate(hostOffset: number): Promise<number> {
    const cluster = Math.floor(hostOffset / this.header.clusterSize);
    const tableIndex = Math.floor(cluster / this.perBlock);
    if (tableIndex >= this.tableEntries) {
      throw qcow2Unsupported('QCOW2_REFCOUNT_TABLE_FULL', `qcow2 write: host cluster ${hex(hostOffset)} is past the refcount table (${this.tableEntries} entries); growing it is not implemented`);
    }
    const at = this.header.refcountTableOffset + tableIndex * 8;
    if (at + 8 > this.file.size) throw qcow2Corrupt('QCOW2_BAD_REFCOUNT_TABLE', `qcow2 refcount table entry ${tableIndex} at ${hex(at)} is past the end of the file`, at);
    const entry = new DataView((await this.file.read(at, 8)).buffer).getBigUint64(0) & BLOCK_OFFSET_MASK;
    if (entry === 0n) {
      throw qcow2Unsupported('QCOW2_REFCOUNT_BLOCK_MISSING', `qcow2 write: no refcount block covers host cluster ${hex(hostOffset)}; allocating refcount blocks is not implemented`);
    }
    const block = Number(entry);
    if (block % this.header.clusterSize !== 0 || block + this.header.clusterSize > this.file.size) {
      throw qcow2Corrupt('QCOW2_BAD_REFCOUNT_TABLE', `qcow2 refcount table entry ${tableIndex} at ${hex(at)}: block ${hex(block)} unaligned or past the end of the file`, at);
    }
    return block + (cluster % this.perBlock) * 2;
  }

  async get(hostOffset: number): Promise<number> {
    const at = await this.locate(hostOffset);
    const b = await this.file.read(at, 2);
    return (b[0] << 8) | b[1];
  }

  /** Writes the refcount of the host cluster holding `hostOffset` (the caller flushes). */
  async set(file: WritableByteSource, hostOffset: number, value: number): Promise<void> {
    const at = await this.locate(hostOffset);
    await file.write(at, new Uint8Array([value >> 8, value & 0xff]));
  }

  /** Adds `delta` to a refcount; a result outside 0..65535 is corruption (qemu's check would report it too). */
  async add(file: WritableByteSource, hostOffset: number, delta: number): Promise<void> {
    const value = (await this.get(hostOffset)) + delta;
    if (value < 0 || value > 0xffff) {
      throw qcow2Corrupt('QCOW2_BAD_REFCOUNT', `qcow2 refcount of host cluster ${hex(hostOffset)} would become ${value}`, hostOffset);
    }
    await this.set(file, hostOffset, value);
  }
}
