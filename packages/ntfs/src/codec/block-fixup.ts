/**
 * Update-sequence ("multi-sector transfer") protection of FILE, INDX and RSTR
 * blocks, for the write side: remove it after reading, re-apply it with an
 * advanced update sequence number before writing.
 *
 * The stride is 512 bytes (NTFS_BLOCK_SIZE) whatever the volume's sector size:
 * ntfs-3g libntfs-3g/mst.c (ntfs_mst_post_read_fixup / ntfs_mst_pre_write_fixup
 * step by NTFS_BLOCK_SIZE), libfsntfs "The update sequence array", and what
 * `mkntfs -s 4096` writes (4096-byte records with 9-entry arrays). The fixup
 * walk itself is the reader's (codec/fixup.ts applyFixups / protectFixups);
 * this module keeps only the write side's stricter acceptance (the array must
 * cover the block exactly and sit in its first stride) and its typed errors.
 * References read, not copied.
 *
 *   block: | hdr .. usaOffset: [usn][orig0][orig1]... | ... stride0 ..[usn] | ... stride1 ..[usn] |
 */
import { CorruptError, viewOf } from '@coldfix/io';
import { applyFixups as unprotect, FIXUP_STRIDE, protectFixups } from './fixup.js';

export { FIXUP_STRIDE };

const LAYER = 'ntfs-write';

/** Reads the update sequence array location from a block header (offsets 4 and 6 in every protected block). */
function usaOf(block: Uint8Array, stride: number, offset: number): { usaOffset: number; usaCount: number } {
  const view = viewOf(block);
  const usaOffset = view.getUint16(4, true);
  const usaCount = view.getUint16(6, true);
  if (stride !== FIXUP_STRIDE || usaCount < 2 || (usaCount - 1) * stride !== block.length || usaOffset + usaCount * 2 > stride - 2 || usaOffset & 1) {
    throw new CorruptError(`update sequence array (offset ${usaOffset}, count ${usaCount}) does not fit a ${block.length}-byte block of ${stride}-byte strides`, {
      code: 'NTFS_FIXUP_BAD_USA', layer: LAYER, offset, details: { usaOffset, usaCount, blockSize: block.length, stride },
    });
  }
  return { usaOffset, usaCount };
}

/**
 * Checks and removes the fixups of `block` in place (the last two bytes of each
 * 512-byte stride must equal the USN; they get their saved values back).
 * @param stride must be FIXUP_STRIDE (512); kept as a parameter so that callers say what they assume.
 * @param offset absolute device offset, for error messages only.
 * @throws CorruptError NTFS_FIXUP_BAD_USA when the array does not cover the block;
 *   NTFS_FIXUP_MISMATCH when a stride's tail differs from the USN (torn write). The block is unchanged on error.
 */
export function removeFixups(block: Uint8Array, stride: number = FIXUP_STRIDE, offset = 0): void {
  const { usaOffset, usaCount } = usaOf(block, stride, offset);
  const result = unprotect(block, usaOffset, usaCount);
  if (!result.ok) {
    // usaOf already proved the array well formed, so the only failure left is a torn stride: find it for the message.
    const view = viewOf(block);
    const usn = view.getUint16(usaOffset, true);
    let i = 1;
    while (i < usaCount - 1 && view.getUint16(i * stride - 2, true) === usn) i++;
    const tail = i * stride - 2;
    throw new CorruptError(`update sequence mismatch in stride ${i - 1}: expected 0x${usn.toString(16)}, found 0x${view.getUint16(tail, true).toString(16)}`, {
      code: 'NTFS_FIXUP_MISMATCH', layer: LAYER, offset: offset + tail, details: { sector: i - 1, usn },
    });
  }
}

/**
 * Re-applies fixups in place to a block whose fixups were removed: advances the
 * USN (wrapping 0xFFFF and 0 to 1, as ntfs-3g does), saves each stride's last
 * two bytes into the array and stamps the USN there.
 * @param stride must be FIXUP_STRIDE (512).
 * @returns the new USN.
 * @throws CorruptError NTFS_FIXUP_BAD_USA when the array does not cover the block.
 */
export function applyFixups(block: Uint8Array, stride: number = FIXUP_STRIDE, offset = 0): number {
  const { usaOffset, usaCount } = usaOf(block, stride, offset);
  let usn = viewOf(block).getUint16(usaOffset, true) + 1;
  if (usn === 0xffff || usn === 0x10000 || usn === 0) usn = 1;
  protectFixups(block, usaOffset, usaCount, usn);
  return usn;
}
