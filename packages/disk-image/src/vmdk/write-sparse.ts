/**
 * Writes into a hosted sparse extent (monolithicSparse, the only file of the
 * image): in place into allocated grains; a grain not allocated here (GTE 0:
 * the parent's bytes or zeros; GTE 1: a zeroed grain) is allocated at the end
 * of the file holding its current virtual content (read through the parent
 * for GTE 0, zeros for GTE 1) with the new bytes over it. Order, as qemu does
 * (block/vmdk.c get_cluster_offset / vmdk_L2update):
 *   1. grow the file, write the whole grain; 2. flush;
 *   3. write the GTE into the primary grain table, then into the redundant one; 4. flush.
 * A crash before 3 leaves an unreferenced grain at the end (harmless), never a GTE pointing at garbage.
 * Grain tables must exist (qemu and VMware preallocate every table): a GD entry of 0 is refused.
 */
import { PreconditionError, type ResizableByteSource } from '@coldfix/io';
import type { Fallback } from './extents/extent.js';
import type { SparseExtent } from './extents/sparse-extent.js';
import { hex, VMDK_LAYER } from './vmdk-errors.js';

export async function writeSparse(extent: SparseExtent, file: ResizableByteSource, offset: number, data: Uint8Array, below: Fallback): Promise<void> {
  const grainBytes = extent.grainBytes;
  const end = offset + data.length;
  for (let pos = offset; pos < end; ) {
    const index = Math.floor(pos / grainBytes);
    const inGrain = pos - index * grainBytes;
    const length = Math.min(grainBytes - inGrain, end - pos);
    const piece = data.subarray(pos - offset, pos - offset + length);
    const gtIndex = Math.floor(index / extent.gtEntries);
    if (gtIndex >= extent.gd.length || extent.gd[gtIndex] === 0) {
      throw new PreconditionError(`${extent.path}: grain table ${gtIndex} is not allocated; allocating grain tables is not supported`, {
        code: 'VMDK_GT_UNALLOCATED',
        layer: VMDK_LAYER,
        details: { path: extent.path, grainTable: gtIndex },
      });
    }
    const table = await extent.grainTable(gtIndex);
    const at = (index % extent.gtEntries) * 4;
    const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
    const gte = view.getUint32(at, true);
    const zeroed = gte === 1 && (extent.header.flags & 0x4) !== 0;
    if (gte !== 0 && !zeroed) {
      await file.write(gte * 512 + inGrain, piece);
    } else {
      const grain = new Uint8Array(grainBytes);
      if (!zeroed && length < grainBytes) await below(index * grainBytes, grain);
      grain.set(piece, inGrain);
      const sector = Math.ceil(file.size / 512);
      if (sector > 0xffffffff - grainBytes / 512) {
        throw new PreconditionError(`${extent.path}: no room for another grain at sector ${sector} (32-bit grain table entries)`, { code: 'VMDK_EXTENT_FULL', layer: VMDK_LAYER, offset: sector * 512 });
      }
      await file.resize(sector * 512 + grainBytes);
      await file.write(sector * 512, grain);
      await file.flush();
      await writeGte(file, extent.gd[gtIndex], at, sector);
      if (extent.rgd && extent.rgd[gtIndex] !== 0) await writeGte(file, extent.rgd[gtIndex], at, sector);
      await file.flush();
      view.setUint32(at, sector, true);
    }
    pos += length;
  }
}

async function writeGte(file: ResizableByteSource, gtSector: number, at: number, value: number): Promise<void> {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  const where = gtSector * 512 + at;
  if (where + 4 > file.size) throw new PreconditionError(`grain table entry at ${hex(where)} is past the file's end`, { code: 'VMDK_TABLE_OUTSIDE_FILE', layer: VMDK_LAYER, offset: where });
  await file.write(where, bytes);
}
