/**
 * Update-sequence ("multi-sector transfer") protection of FILE, INDX and RSTR
 * blocks, for the write side: remove it after reading, re-apply it with an
 * advanced update sequence number before writing.
 *
 * References: NTFS documentation (Russon & Fledel, "Fixup"); ntfs-3g
 * libntfs-3g/mst.c (ntfs_mst_pre_write_fixup advances the USN, skipping 0 and
 * 0xFFFF). Read, not copied.
 *
 *   block: | hdr .. usaOffset: [usn][orig0][orig1]... | ... sector0 ..[usn] | ... sector1 ..[usn] |
 */
import { CorruptError } from '@coldfix/io';

const LAYER = 'ntfs-write';

/** Reads the update sequence array location from a block header (offsets 4 and 6 in every protected block). */
function usaOf(block: Uint8Array, sectorSize: number, offset: number): { usaOffset: number; usaCount: number } {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const usaOffset = view.getUint16(4, true);
  const usaCount = view.getUint16(6, true);
  if (usaCount < 2 || (usaCount - 1) * sectorSize !== block.length || usaOffset + usaCount * 2 > sectorSize - 2 || usaOffset & 1) {
    throw new CorruptError(`update sequence array (offset ${usaOffset}, count ${usaCount}) does not fit a ${block.length}-byte block of ${sectorSize}-byte sectors`, {
      code: 'NTFS_FIXUP_BAD_USA', layer: LAYER, offset, details: { usaOffset, usaCount, blockSize: block.length, sectorSize },
    });
  }
  return { usaOffset, usaCount };
}

/**
 * Checks and removes the fixups of `block` in place (the last two bytes of each
 * sector must equal the USN; they get their saved values back).
 * @param offset absolute device offset, for error messages only.
 * @throws CorruptError NTFS_FIXUP_MISMATCH when a sector's tail differs from the USN (torn write).
 */
export function removeFixups(block: Uint8Array, sectorSize: number, offset = 0): void {
  const { usaOffset, usaCount } = usaOf(block, sectorSize, offset);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const usn = view.getUint16(usaOffset, true);
  for (let i = 1; i < usaCount; i++) {
    const tail = i * sectorSize - 2;
    if (view.getUint16(tail, true) !== usn) {
      throw new CorruptError(`update sequence mismatch in sector ${i - 1}: expected 0x${usn.toString(16)}, found 0x${view.getUint16(tail, true).toString(16)}`, {
        code: 'NTFS_FIXUP_MISMATCH', layer: LAYER, offset: offset + tail, details: { sector: i - 1, usn },
      });
    }
    view.setUint16(tail, view.getUint16(usaOffset + 2 * i, true), true);
  }
}

/**
 * Re-applies fixups in place to a block whose fixups were removed: advances the
 * USN (wrapping 0xFFFF and 0 to 1, as ntfs-3g does), saves each sector's last
 * two bytes into the array and stamps the USN there.
 * @returns the new USN.
 */
export function applyFixups(block: Uint8Array, sectorSize: number, offset = 0): number {
  const { usaOffset, usaCount } = usaOf(block, sectorSize, offset);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  let usn = view.getUint16(usaOffset, true) + 1;
  if (usn === 0xffff || usn === 0x10000 || usn === 0) usn = 1;
  view.setUint16(usaOffset, usn, true);
  for (let i = 1; i < usaCount; i++) {
    const tail = i * sectorSize - 2;
    view.setUint16(usaOffset + 2 * i, view.getUint16(tail, true), true);
    view.setUint16(tail, usn, true);
  }
  return usn;
}
