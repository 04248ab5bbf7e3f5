/**
 * Update sequence ("fixup") arrays of multi-sector records (FILE, INDX, RCRD).
 * The last two bytes of every 512-byte stride hold the update sequence number;
 * the real bytes are in the array (libfsntfs "The update sequence array";
 * ntfs-3g ntfs_mst_post_read_fixup). The stride is 512 whatever the sector size.
 */
import { viewOf } from '@coldfix/io';

export const FIXUP_STRIDE = 512;

export interface FixupResult {
  ok: boolean;
  /** Why not ok (for anomalies / errors). */
  problem?: string;
  updateSequenceNumber: number;
}

/**
 * Applies the fixups in place. Returns `ok: false` (leaving bytes as they were
 * for the strides checked so far) when the array is malformed or a stride's
 * tail does not match the sequence number (a torn write, or not a record).
 */
export function applyFixups(bytes: Uint8Array, usaOffset: number, usaCount: number): FixupResult {
  const view = viewOf(bytes);
  const strides = bytes.length / FIXUP_STRIDE;
  if (usaCount < 1 || usaCount - 1 > strides || usaOffset < 4 || usaOffset + usaCount * 2 > bytes.length || usaOffset % 2 !== 0) {
    return { ok: false, problem: `update sequence array (offset ${usaOffset}, count ${usaCount}) does not fit ${bytes.length} bytes`, updateSequenceNumber: 0 };
  }
  const usn = view.getUint16(usaOffset, true);
  for (let i = 0; i < usaCount - 1; i++) {
    const tail = (i + 1) * FIXUP_STRIDE - 2;
    if (view.getUint16(tail, true) !== usn) {
      return { ok: false, problem: `fixup mismatch in stride ${i}: 0x${view.getUint16(tail, true).toString(16)} != 0x${usn.toString(16)}`, updateSequenceNumber: usn };
    }
  }
  for (let i = 0; i < usaCount - 1; i++) {
    const tail = (i + 1) * FIXUP_STRIDE - 2;
    view.setUint16(tail, view.getUint16(usaOffset + 2 + i * 2, true), true);
  }
  return { ok: true, updateSequenceNumber: usn };
}

/**
 * The inverse (for the writer): saves each stride tail into the array and
 * stamps `usn` there. `bytes` must be a fixed-up (in-memory) record.
 */
export function protectFixups(bytes: Uint8Array, usaOffset: number, usaCount: number, usn: number): void {
  const view = viewOf(bytes);
  view.setUint16(usaOffset, usn, true);
  for (let i = 0; i < usaCount - 1; i++) {
    const tail = (i + 1) * FIXUP_STRIDE - 2;
    view.setUint16(usaOffset + 2 + i * 2, view.getUint16(tail, true), true);
    view.setUint16(tail, usn, true);
  }
}
