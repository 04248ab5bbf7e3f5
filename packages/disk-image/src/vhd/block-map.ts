/**
 * Maps virtual-disk byte ranges of a dynamic or differencing VHD onto runs:
 * bytes in the file, zeros, or the parent's bytes. Reads are planned first,
 * adjacent runs coalesced, then executed (one file read per run), so a 4 MiB
 * sequential read costs about one read per 2 MiB block.
 *
 *   virtual  |<-------- block i (blockSize) -------->|
 *   BAT[i] = sector s  ──▶ file  s*512: [bitmap (bitmapSize)][data (blockSize)]
 *   bitmap bit set ─▶ data   clear ─▶ zero (dynamic) / parent (differencing)
 *
 * References: Microsoft VHD specification 1.0 (2006), "Block Allocation Table
 * and Data Blocks"; libvhdi format document §4; qemu block/vpc.c
 * (get_image_offset; qemu ignores the bitmap, libvhdi and Windows honour it).
 */
import type { ByteSource } from '@coldfix/io';
import { bitmapRuns } from './codec/bitmap.js';
import { BAT_UNUSED, type DynamicMetadata } from './dynamic-metadata.js';
import { hex, vhdCorrupt } from './vhd-errors.js';

export type ReadRun =
  | { kind: 'data'; offset: number; length: number; fileOffset: number }
  | { kind: 'zero'; offset: number; length: number }
  | { kind: 'parent'; offset: number; length: number };

/** Bitmaps kept in memory (512 bytes each for 2 MiB blocks: 2 MiB of cache). */
const BITMAP_CACHE_ENTRIES = 4096;

export class BlockMap {
  readonly blockSize: number;
  readonly bitmapSize: number;
  private readonly bitmaps = new Map<number, Uint8Array>();
  /** Blocks whose bitmap is all ones: no need to keep the bytes. */
  private readonly fullBlocks = new Set<number>();
  /** Set once the writer checked every allocated block (inside the file, no overlaps). */
  layoutChecked = false;

  constructor(
    private readonly file: ByteSource,
    readonly meta: DynamicMetadata,
    readonly virtualSize: number,
    /** Where the trailing footer is: blocks must end before it. */
    public dataEnd: number,
    readonly differencing: boolean,
  ) {
    this.blockSize = meta.blockSize;
    this.bitmapSize = meta.bitmapSize;
  }

  get bat(): Uint32Array {
    return this.meta.bat;
  }

  /** Bytes of data the block holds within the virtual disk (the last block may be short). */
  blockDataLength(block: number): number {
    return Math.min(this.blockSize, this.virtualSize - block * this.blockSize);
  }

  /**
   * File offset of the block's bitmap, or undefined when unallocated. Throws
   * CorruptError when the BAT entry points past the end of the file or into metadata.
   */
  blockOffset(block: number): number | undefined {
    const entry = this.meta.bat[block];
    if (entry === BAT_UNUSED) return undefined;
    const start = entry * 512;
    const end = start + this.bitmapSize + Math.ceil(this.blockDataLength(block) / 512) * 512;
    const batEntryOffset = this.meta.tableOffset + block * 4;
    if (end > this.dataEnd) {
      throw vhdCorrupt('VHD_BAT_ENTRY_OUTSIDE_FILE', `VHD BAT entry ${block} = sector ${hex(entry)}: block [${hex(start)}, ${hex(end)}) runs past the end of data at ${hex(this.dataEnd)}: the file is truncated (cut short before the block's end) or the BAT entry is corrupt`, batEntryOffset, {
        structure: 'BAT',
        field: `entry ${block}`,
        actual: entry,
      });
    }
    for (const [mStart, mEnd, what] of this.meta.metadataRanges) {
      if (start < mEnd && mStart < end) {
        throw vhdCorrupt('VHD_BAT_ENTRY_OVERLAPS_METADATA', `VHD BAT entry ${block} = sector ${hex(entry)}: block [${hex(start)}, ${hex(end)}) overlaps the ${what} at [${hex(mStart)}, ${hex(mEnd)})`, batEntryOffset, {
          structure: 'BAT',
          field: `entry ${block}`,
          actual: entry,
        });
      }
    }
    return start;
  }

  /** The block's sector bitmap, or undefined when it is all ones (cached, bounded). */
  async bitmap(block: number, blockOffset: number): Promise<Uint8Array | undefined> {
    if (this.fullBlocks.has(block)) return undefined;
    const cached = this.bitmaps.get(block);
    if (cached) {
      this.bitmaps.delete(block);
      this.bitmaps.set(block, cached);
      return cached;
    }
    const bytes = await this.file.read(blockOffset, this.bitmapSize);
    this.remember(block, bytes);
    return this.fullBlocks.has(block) ? undefined : bytes;
  }

  /** Records a block's bitmap (after reading or writing it). */
  remember(block: number, bytes: Uint8Array): void {
    this.bitmaps.delete(block);
    const sectors = Math.ceil(this.blockDataLength(block) / 512);
    if (isPrefixAllOnes(bytes, sectors)) {
      this.fullBlocks.add(block);
      if (this.fullBlocks.size > BITMAP_CACHE_ENTRIES * 64) this.fullBlocks.clear();
      return;
    }
    this.fullBlocks.delete(block);
    this.bitmaps.set(block, bytes);
    if (this.bitmaps.size > BITMAP_CACHE_ENTRIES) this.bitmaps.delete(this.bitmaps.keys().next().value as number);
  }

  /** Plans [offset, offset+length) of the virtual disk as coalesced runs. */
  async plan(offset: number, length: number): Promise<ReadRun[]> {
    const runs: ReadRun[] = [];
    const end = offset + length;
    let pos = offset;
    while (pos < end) {
      const block = Math.floor(pos / this.blockSize);
      const blockStart = block * this.blockSize;
      const segEnd = Math.min(end, blockStart + this.blockSize);
      const fileBlock = this.blockOffset(block);
      if (fileBlock === undefined) {
        push(runs, { kind: this.differencing ? 'parent' : 'zero', offset: pos, length: segEnd - pos });
        pos = segEnd;
        continue;
      }
      const dataStart = fileBlock + this.bitmapSize;
      const bitmap = await this.bitmap(block, fileBlock);
      if (!bitmap) {
        push(runs, { kind: 'data', offset: pos, length: segEnd - pos, fileOffset: dataStart + (pos - blockStart) });
        pos = segEnd;
        continue;
      }
      const firstSector = Math.floor((pos - blockStart) / 512);
      const lastSector = Math.ceil((segEnd - blockStart) / 512);
      for (const r of bitmapRuns(bitmap, firstSector, lastSector - firstSector)) {
        const from = Math.max(pos, blockStart + r.sector * 512);
        const to = Math.min(segEnd, blockStart + (r.sector + r.count) * 512);
        if (r.set) push(runs, { kind: 'data', offset: from, length: to - from, fileOffset: dataStart + (from - blockStart) });
        else push(runs, { kind: this.differencing ? 'parent' : 'zero', offset: from, length: to - from });
      }
      pos = segEnd;
    }
    return runs;
  }

  invalidate(block: number): void {
    this.bitmaps.delete(block);
    this.fullBlocks.delete(block);
  }
}

function push(runs: ReadRun[], run: ReadRun): void {
  const last = runs[runs.length - 1];
  if (last && last.kind === run.kind && last.offset + last.length === run.offset) {
    if (last.kind !== 'data' || (run.kind === 'data' && last.fileOffset + last.length === run.fileOffset)) {
      last.length += run.length;
      return;
    }
  }
  runs.push(run);
}

function isPrefixAllOnes(bytes: Uint8Array, sectors: number): boolean {
  const full = sectors >> 3;
  for (let i = 0; i < full; i++) if (bytes[i] !== 0xff) return false;
  const rest = sectors & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[full] & mask) === mask;
}
