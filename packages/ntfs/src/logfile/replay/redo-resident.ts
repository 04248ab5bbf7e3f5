/**
 * Redo of UpdateResidentValue (0x07) on an MFT record: the record offset
 * names the attribute within the MFT record, the attribute offset the bytes
 * within that attribute; the redo bytes replace them and must lie inside the
 * resident attribute's value; when they change, the record then carries the
 * log record's LSN and is written back with its update sequence number raised
 * (ntfs-3g playlog.c redo of UpdateResidentValue and write_protected; ntfs3
 * fslog.c do_action). Pure: works on the caller's buffer.
 */
import { viewOf } from '@coldfix/io';
import type { LogRecord } from '../read-logfile.js';

/**
 * @returns `changed` (the record must be written back), or `problem`: why it cannot be applied (the
 * caller refuses the replay). Bytes already equal to the redo data leave the record as it is, LSN
 * included, as ntfs-3g's playlog does (so the result stays byte-identical to ntfsrecover's).
 */
export function redoUpdateResidentValue(record: Uint8Array, r: LogRecord): { changed: boolean; problem?: string } {
  const fail = (problem: string) => ({ changed: false, problem });
  const u = r.update!;
  const v = viewOf(record);
  const bytesInUse = v.getUint32(24, true);
  const at = u.recordOffset;
  if (bytesInUse > record.length || at + 24 > bytesInUse) return fail(`attribute offset 0x${at.toString(16)} lies outside the record's ${bytesInUse} bytes in use`);
  const length = v.getUint32(at + 4, true);
  if (length < 24 || at + length > bytesInUse || record[at + 8] !== 0) return fail(`no resident attribute at offset 0x${at.toString(16)}`);
  const valueOffset = v.getUint16(at + 20, true);
  const valueLength = v.getUint32(at + 16, true);
  const start = at + u.attributeOffset;
  if (u.attributeOffset < valueOffset || u.attributeOffset + u.redo.length > valueOffset + valueLength) return fail(`bytes 0x${u.attributeOffset.toString(16)}+${u.redo.length} fall outside the attribute's value`);
  let same = true;
  for (let i = 0; i < u.redo.length && same; i++) same = record[start + i] === u.redo[i];
  if (same) return { changed: false };
  record.set(u.redo, start);
  v.setBigUint64(8, r.lsn, true);
  return { changed: true };
}

/** The next update sequence number as ntfs-3g chooses it (never 0 or 0xFFFF). */
export const nextUsn = (usn: number): number => (usn + 1 >= 0xffff ? 1 : usn + 1);
