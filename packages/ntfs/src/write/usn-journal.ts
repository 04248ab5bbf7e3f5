/**
 * Appending a deletion record to $Extend\$UsnJrnl:$J, as Windows does when a
 * file is deleted (reason USN_REASON_FILE_DELETE | USN_REASON_CLOSE).
 *
 * The record goes at the stream's current data size (that offset is its USN),
 * never across a 4 KiB page (Windows pads to the next page instead), and only
 * into clusters the stream already owns: growing $J (allocating clusters,
 * trimming the sparse head by $Max's allocation delta) is not done here, so
 * when the tail has no room the delete goes on and reports `usnAppended: false`.
 * The data and initialized sizes of $J's first extent grow accordingly.
 *
 * References: Microsoft docs "Change Journals", "USN_RECORD_V2"; libyal
 * libfusn documentation. Read, not copied.
 */
import { viewOf } from '@coldfix/io';
import { AttrType, attributeRuns, listAttributes } from '../record/record-bytes.js';
import { resolvePath } from './resolve-path.js';
import type { WriteTxn } from './txn.js';
import { encodeUsnRecordV2, UsnReason } from './usn-record.js';

const PAGE = 4096;

export interface UsnDeleteInfo {
  record: number; sequence: number; parent: number; parentSequence: number; name: string; fileAttributes: number; now: bigint;
  /** USN reason (default FILE_DELETE | CLOSE; an unlink that leaves the file writes HARD_LINK_CHANGE | CLOSE). */
  reason?: number;
}

/** Plans the append inside `txn`; returns false (nothing planned) when there is no journal or no room. */
export async function appendUsnRecord(txn: WriteTxn, info: UsnDeleteInfo): Promise<boolean> {
  let journal: number;
  try {
    journal = (await resolvePath(txn, '/$Extend/$UsnJrnl', await txn.vol.upcase())).record;
  } catch {
    return false;
  }
  // The working copies: a second delete in the same transaction appends after the first's record.
  const extents = (await txn.extents(journal)).filter((x) => x.attr.type === AttrType.data && x.attr.name === '$J' && x.attr.nonResident);
  const first = extents.find((x) => x.attr.lowestVcn === 0);
  if (!first) return false;
  const runs = extents.sort((a, b) => a.attr.lowestVcn - b.attr.lowestVcn).flatMap((x) => attributeRuns(x.rec, x.attr));
  let usn = first.attr.dataSize;
  const record = encodeUsnRecordV2({
    fileReference: BigInt(info.record) | (BigInt(info.sequence) << 48n),
    parentReference: BigInt(info.parent) | (BigInt(info.parentSequence) << 48n),
    usn: 0n, timestamp: info.now, reason: info.reason ?? UsnReason.fileDelete | UsnReason.close, fileAttributes: info.fileAttributes, name: info.name,
  });
  if (Math.floor(usn / PAGE) !== Math.floor((usn + record.length - 1) / PAGE)) usn = Math.ceil(usn / PAGE) * PAGE;
  const end = usn + record.length;
  if (end > first.attr.allocatedSize) return false;
  let pieces;
  try {
    pieces = txn.vol.streamPieces(runs, first.attr.dataSize, end - first.attr.dataSize);
  } catch {
    return false;
  }
  if (pieces.some((p) => p.device < 0)) return false;
  viewOf(record).setBigInt64(24, BigInt(usn), true);
  const bytes = new Uint8Array(end - first.attr.dataSize);
  bytes.set(record, usn - first.attr.dataSize);
  let at = 0;
  for (const p of pieces) {
    txn.extraWrites.push({ what: '$UsnJrnl:$J record', device: p.device, data: bytes.subarray(at, at + p.length) });
    at += p.length;
  }
  const rec = await txn.record(first.record);
  const attr = listAttributes(rec, first.record).find((a) => a.offset === first.attr.offset)!;
  const v = viewOf(rec);
  v.setBigUint64(attr.offset + 0x30, BigInt(end), true);
  v.setBigUint64(attr.offset + 0x38, BigInt(end), true);
  txn.touchRecord(first.record);
  return true;
}
