/**
 * Maps virtual-disk ranges of a VHDX onto runs (file bytes, zeros, parent),
 * from the BAT (read in 64 KiB pages through a bounded cache) and, for
 * partially present blocks, the sector bitmap (cached per block, bounded).
 *
 *   virtual |<--- payload block b (BlockSize) --->|
 *   BAT[b + floor(b/r)]: state ─▶ 6 fully present: file FileOffsetMB·1MiB …
 *                                 7 partially present: bitmap bit 1 ─▶ file, 0 ─▶ parent
 *                                 0 not present: parent (differencing) | zero
 *                                 1 undefined, 2 zero, 3 unmapped: zero
 *   BAT[c·(r+1) + r] (c = floor(b/r)): the chunk's 1 MiB sector bitmap block
 *
 * References: MS-VHDX §2.4, §2.5.1.1 (read behaviour per state: we return
 * zeros wherever the specification allows "zero data"); libyal libvhdi VHDX
 * format §7; qemu block/vhdx.c vhdx_block_translate (read to learn).
 */
import type { ByteSource } from '@coldfix/io';
import { decodeBatEntry, PAYLOAD_STATE_NAMES, PayloadState, payloadBatIndex, SectorBitmapState, sectorBitmapBatIndex, type BatEntry } from './codec/bat-entry.js';
import { sectorBitmapRuns } from './codec/sector-bitmap.js';
import { VHDX_HEADER_SECTION_SIZE, type VhdxRegion } from './headers.js';
import type { VhdxMetadata } from './metadata.js';
import { hex, vhdxCorrupt } from './vhdx-errors.js';

export type VhdxReadRun =
  | { kind: 'data'; offset: number; length: number; fileOffset: number }
  | { kind: 'zero'; offset: number; length: number }
  | { kind: 'parent'; offset: number; length: number };

const PAGE_ENTRIES = 8192;
/** 512 pages of 64 KiB: 32 MiB of BAT at most in memory (4M blocks: 4 TiB at 1 MiB blocks). */
const MAX_PAGES = 512;
/** Per-block sector bitmaps kept (at most 64 KiB each, usually 256 bytes–8 KiB). */
const MAX_BITMAPS = 2048;
const SECTOR_BITMAP_BLOCK = 1024 * 1024;

export class VhdxBlockMap {
  private readonly pages = new Map<number, Uint8Array>();
  private readonly bitmaps = new Map<number, Uint8Array>();

  constructor(
    private readonly file: ByteSource,
    readonly meta: VhdxMetadata,
    readonly batRegion: VhdxRegion,
  ) {
    if (meta.batEntries * 8 > batRegion.length) {
      throw vhdxCorrupt('VHDX_BAT_TOO_SMALL', `VHDX BAT region of ${batRegion.length} bytes cannot hold the ${meta.batEntries} entries the disk needs`, batRegion.fileOffset, {
        entries: meta.batEntries,
        regionLength: batRegion.length,
      });
    }
    if (batRegion.fileOffset + meta.batEntries * 8 > file.size) {
      throw vhdxCorrupt('VHDX_BAT_OUTSIDE_FILE', `VHDX BAT at ${hex(batRegion.fileOffset)} runs past the end of the file (${hex(file.size)})`, batRegion.fileOffset);
    }
  }

  /** The BAT entry at `index` (payload or sector bitmap). */
  async entry(index: number): Promise<BatEntry> {
    const page = Math.floor(index / PAGE_ENTRIES);
    let bytes = this.pages.get(page);
    if (bytes) {
      this.pages.delete(page);
      this.pages.set(page, bytes);
    } else {
      const first = page * PAGE_ENTRIES;
      const count = Math.min(PAGE_ENTRIES, this.meta.batEntries - first);
      bytes = await this.file.read(this.batRegion.fileOffset + first * 8, count * 8);
      this.pages.set(page, bytes);
      if (this.pages.size > MAX_PAGES) this.pages.delete(this.pages.keys().next().value as number);
    }
    return decodeBatEntry(bytes, (index % PAGE_ENTRIES) * 8);
  }

  /** The payload entry of block `block`, its file range checked. */
  async payload(block: number): Promise<BatEntry> {
    const index = payloadBatIndex(block, this.meta.chunkRatio);
    const entry = await this.entry(index);
    const at = this.batRegion.fileOffset + index * 8;
    if (!(entry.state in PAYLOAD_STATE_NAMES)) {
      throw vhdxCorrupt('VHDX_BAT_STATE', `VHDX BAT entry ${index} (payload block ${block}): state ${entry.state} is reserved`, at, { block, state: entry.state });
    }
    if (entry.state === PayloadState.partiallyPresent && !this.meta.hasParent) {
      throw vhdxCorrupt('VHDX_BAT_STATE', `VHDX BAT entry ${index} (payload block ${block}): partially present in a file without a parent`, at, { block, state: entry.state });
    }
    if (entry.state === PayloadState.fullyPresent || entry.state === PayloadState.partiallyPresent) {
      this.checkRange(entry.fileOffset, this.blockLength(block), `payload block ${block}`, at);
    }
    return entry;
  }

  /** Bytes of the virtual disk in block `block` (the last may be short). */
  blockLength(block: number): number {
    return Math.min(this.meta.blockSize, this.meta.virtualSize - block * this.meta.blockSize);
  }

  private checkRange(start: number, length: number, what: string, entryOffset: number): void {
    if (start < VHDX_HEADER_SECTION_SIZE || start + length > this.file.size) {
      throw vhdxCorrupt('VHDX_BLOCK_OUTSIDE_FILE', `VHDX ${what} at ${hex(start)} (+${hex(length)}) lies outside the file's data area [${hex(VHDX_HEADER_SECTION_SIZE)}, ${hex(this.file.size)})`, entryOffset, {
        fileOffset: start,
        length,
        fileSize: this.file.size,
      });
    }
  }

  /** The part of the chunk's sector bitmap covering block `block` (cached). */
  private async blockBitmap(block: number): Promise<Uint8Array> {
    const cached = this.bitmaps.get(block);
    if (cached) return cached;
    const { chunkRatio, blockSize, logicalSectorSize } = this.meta;
    const chunk = Math.floor(block / chunkRatio);
    const index = sectorBitmapBatIndex(chunk, chunkRatio);
    const entry = await this.entry(index);
    const at = this.batRegion.fileOffset + index * 8;
    if (entry.state !== SectorBitmapState.present) {
      throw vhdxCorrupt('VHDX_SECTOR_BITMAP_MISSING', `VHDX payload block ${block} is partially present but its sector bitmap (BAT entry ${index}) has state ${entry.state}`, at, { block, state: entry.state });
    }
    this.checkRange(entry.fileOffset, SECTOR_BITMAP_BLOCK, `sector bitmap block ${chunk}`, at);
    const bytesPerBlock = blockSize / logicalSectorSize / 8;
    const bytes = await this.file.read(entry.fileOffset + (block % chunkRatio) * bytesPerBlock, bytesPerBlock);
    this.bitmaps.set(block, bytes);
    if (this.bitmaps.size > MAX_BITMAPS) this.bitmaps.delete(this.bitmaps.keys().next().value as number);
    return bytes;
  }

  /** Plans [offset, offset + length) of the virtual disk as coalesced runs. */
  async plan(offset: number, length: number): Promise<VhdxReadRun[]> {
    const runs: VhdxReadRun[] = [];
    const { blockSize, logicalSectorSize, hasParent } = this.meta;
    const end = offset + length;
    let pos = offset;
    while (pos < end) {
      const block = Math.floor(pos / blockSize);
      const blockStart = block * blockSize;
      const segEnd = Math.min(end, blockStart + blockSize);
      const entry = await this.payload(block);
      switch (entry.state) {
        case PayloadState.fullyPresent:
          push(runs, { kind: 'data', offset: pos, length: segEnd - pos, fileOffset: entry.fileOffset + (pos - blockStart) });
          break;
        case PayloadState.partiallyPresent: {
          const bitmap = await this.blockBitmap(block);
          const first = Math.floor((pos - blockStart) / logicalSectorSize);
          const last = Math.ceil((segEnd - blockStart) / logicalSectorSize);
          for (const r of sectorBitmapRuns(bitmap, first, last - first)) {
            const from = Math.max(pos, blockStart + r.sector * logicalSectorSize);
            const to = Math.min(segEnd, blockStart + (r.sector + r.count) * logicalSectorSize);
            if (r.set) push(runs, { kind: 'data', offset: from, length: to - from, fileOffset: entry.fileOffset + (from - blockStart) });
            else push(runs, { kind: 'parent', offset: from, length: to - from });
          }
          break;
        }
        case PayloadState.notPresent:
          push(runs, { kind: hasParent ? 'parent' : 'zero', offset: pos, length: segEnd - pos });
          break;
        default:
          push(runs, { kind: 'zero', offset: pos, length: segEnd - pos });
      }
      pos = segEnd;
    }
    return runs;
  }

  /** Counts of payload blocks per state (for `info` and tests). */
  async stateCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let b = 0; b < this.meta.payloadBlocks; b++) {
      const name = PAYLOAD_STATE_NAMES[(await this.payload(b)).state];
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  }

  /** Forgets cached BAT pages and bitmaps (after a write). */
  invalidate(): void {
    this.pages.clear();
    this.bitmaps.clear();
  }
}

function push(runs: VhdxReadRun[], run: VhdxReadRun): void {
  const last = runs[runs.length - 1];
  if (last && last.kind === run.kind && last.offset + last.length === run.offset) {
    if (last.kind !== 'data' || (run.kind === 'data' && last.fileOffset + last.length === run.fileOffset)) {
      last.length += run.length;
      return;
    }
  }
  runs.push(run);
}
