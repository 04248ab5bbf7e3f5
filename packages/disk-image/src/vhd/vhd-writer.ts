/**
 * Writes into a dynamic, differencing or fixed VHD.
 *
 * - Fixed: in place.
 * - Block allocated, bitmap all ones: in place.
 * - Block allocated with clear bits: the block is materialised: its current
 *   virtual content (zeros or the parent's sectors) is written into the clear
 *   sectors with the new data, then its bitmap is set to all ones.
 * - Block unallocated: a new block is appended where the footer was, holding
 *   the parent's sectors (differencing) or zeros (dynamic) plus the new data,
 *   with a full bitmap.
 *
 * Why full bitmaps: qemu (block/vpc.c) ignores bitmaps and reads a
 * differencing disk without its parent, libvhdi and Windows honour them;
 * copying the parent's sectors into every block we touch makes both readers
 * see the same bytes there.
 *
 * Crash ordering for appended blocks (the spec keeps the footer copy at 0 for
 * exactly this):
 *   1. grow the file and write the footer at the new end;
 *   2. write bitmap + data of the new blocks (where the old footer was);
 *   3. flush (fsync);
 *   4. write the BAT entries.
 * A crash before 4 leaves unreferenced space, never a BAT entry pointing at
 * garbage; a crash during 1–2 leaves the copy at offset 0 valid.
 */
import { PreconditionError, type ResizableByteSource } from '@coldfix/io';
import { VHD_FOOTER_SIZE } from './layout/footer.js';
import { hex, vhdCorrupt, VHD_LAYER } from './vhd-errors.js';
import type { VhdImage } from './vhd-image.js';
import type { BlockMap } from './block-map.js';

interface Allocation {
  block: number;
  content: Uint8Array;
}

export async function writeVhd(image: VhdImage, file: ResizableByteSource, offset: number, data: Uint8Array): Promise<void> {
  if (data.length === 0) return;
  const map = image.map;
  if (!map) {
    await file.write(offset, data);
    return;
  }
  checkLayoutOnce(map);
  const allocations: Allocation[] = [];
  const end = offset + data.length;
  let pos = offset;
  while (pos < end) {
    const block = Math.floor(pos / map.blockSize);
    const blockStart = block * map.blockSize;
    const segEnd = Math.min(end, blockStart + map.blockSize);
    const piece = data.subarray(pos - offset, segEnd - offset);
    const fileBlock = map.blockOffset(block);
    if (fileBlock === undefined) {
      const content = await currentBlockContent(image, block);
      content.set(piece, pos - blockStart);
      allocations.push({ block, content });
    } else {
      const bitmap = await map.bitmap(block, fileBlock);
      const dataStart = fileBlock + map.bitmapSize;
      if (!bitmap) {
        await file.write(dataStart + (pos - blockStart), piece);
      } else {
        const content = await currentBlockContent(image, block);
        content.set(piece, pos - blockStart);
        await file.write(dataStart, content.subarray(0, Math.ceil(map.blockDataLength(block) / 512) * 512));
        const full = new Uint8Array(map.bitmapSize).fill(0xff);
        await file.write(fileBlock, full);
        map.remember(block, full);
      }
    }
    pos = segEnd;
  }
  if (allocations.length) await appendBlocks(image, file, allocations);
}

/** The block's virtual content as our reader shows it now (a full block, zero-padded past the disk's end). */
async function currentBlockContent(image: VhdImage, block: number): Promise<Uint8Array> {
  const map = image.map!;
  const content = new Uint8Array(map.blockSize);
  const length = map.blockDataLength(block);
  content.set(await image.read(block * map.blockSize, length));
  return content;
}

async function appendBlocks(image: VhdImage, file: ResizableByteSource, allocations: Allocation[]): Promise<void> {
  const map = image.map!;
  if (image.footer.copy !== 'end' || file.size !== image.footer.trailingOffset + VHD_FOOTER_SIZE) {
    throw new PreconditionError(`${image.path}: the trailing footer is damaged or the file changed size; refusing to append blocks`, {
      code: 'VHD_FOOTER_NOT_AT_END',
      layer: VHD_LAYER,
      offset: image.footer.trailingOffset,
    });
  }
  const stride = map.bitmapSize + map.blockSize;
  const first = map.dataEnd;
  if (first % 512 !== 0) throw vhdCorrupt('VHD_FOOTER_UNALIGNED', `VHD: footer at ${hex(first)} is not sector aligned`, first);
  const newFooterOffset = first + allocations.length * stride;
  if (newFooterOffset / 512 > 0xfffffffe) {
    throw vhdCorrupt('VHD_FILE_TOO_LARGE', `VHD: a block at ${hex(newFooterOffset)} cannot be addressed by a 32-bit BAT sector number`, first);
  }
  // 1. Grow and write the footer at the new end.
  await file.resize(newFooterOffset + VHD_FOOTER_SIZE);
  await file.write(newFooterOffset, image.footer.footer.bytes);
  // 2. Bitmap + data of each new block.
  const bitmap = new Uint8Array(map.bitmapSize).fill(0xff);
  for (let i = 0; i < allocations.length; i++) {
    const at = first + i * stride;
    const bytes = new Uint8Array(stride);
    bytes.set(bitmap);
    bytes.set(allocations[i].content, map.bitmapSize);
    await file.write(at, bytes);
  }
  // 3. Make the data durable before anything points at it.
  await file.flush();
  map.dataEnd = newFooterOffset;
  image.footer.trailingOffset = newFooterOffset;
  // 4. BAT entries.
  const entry = new Uint8Array(4);
  const view = new DataView(entry.buffer);
  for (let i = 0; i < allocations.length; i++) {
    const { block } = allocations[i];
    const sector = (first + i * stride) / 512;
    view.setUint32(0, sector, false);
    await file.write(map.meta.tableOffset + block * 4, entry);
    map.bat[block] = sector;
    map.remember(block, bitmap);
  }
}

/**
 * Before the first write: every allocated block lies inside the file before the
 * footer (else appending would overwrite it), outside the metadata, and no two
 * blocks share bytes (else a write would show through another block).
 * Throws CorruptError; reads stay possible on such images.
 */
function checkLayoutOnce(map: BlockMap): void {
  if (map.layoutChecked) return;
  const spans: Array<[start: number, end: number, block: number]> = [];
  for (let b = 0; b < map.bat.length && b * map.blockSize < map.virtualSize; b++) {
    const start = map.blockOffset(b);
    if (start !== undefined) spans.push([start, start + map.bitmapSize + Math.ceil(map.blockDataLength(b) / 512) * 512, b]);
  }
  spans.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < spans.length; i++) {
    const [start, , block] = spans[i];
    const [, prevEnd, prevBlock] = spans[i - 1];
    if (start < prevEnd) {
      throw vhdCorrupt('VHD_BLOCKS_OVERLAP', `VHD BAT: blocks ${prevBlock} and ${block} overlap at ${hex(start)}; refusing to write`, map.meta.tableOffset + block * 4, {
        structure: 'BAT',
        field: `entry ${block}`,
        actual: start / 512,
      });
    }
  }
  map.layoutChecked = true;
}
