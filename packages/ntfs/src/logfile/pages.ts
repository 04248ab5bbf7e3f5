/**
 * Log record pages ("RCRD") of $LogFile, made ready to walk:
 *
 *   0          sys        2*sys          first data page                     fileSize
 *   | RSTR     | RSTR     | tail/fast copies | circular area: RCRD pages ... |
 *
 * Version 1.1 keeps two tail copies (pages 2-3) of the page being filled, the
 * field at 8 naming its home offset; version 2.0 keeps 32 "fast" copies (pages
 * 2-33) with the home offset at 0x3c. Windows writes a copy first and the
 * home page later, so a copy newer than its home (larger LSN) is applied over
 * it before walking (ntfs3 fslog.c last_log_lsn; dfir_ntfs apply_tail_page /
 * apply_fast_pages; libfsntfs $LogFile document). Then every page's fixups are
 * removed once, in a private copy. Pure: the input is never changed.
 */
import { applyFixups } from '../codec/fixup.js';
import { RecordPageHeaderStruct } from './layout/record-page-header.js';
import type { RestartPageInfo } from './restart.js';

export interface PageInfo {
  offset: number; lastLsn: bigint; lastEndLsn: bigint; flags: number; pageCount: number; pagePosition: number; nextRecordOffset: number;
}

export interface AppliedCopy { from: number; to: number; lastLsn: bigint; kind: 'tail' | 'fast' }

export interface LogPages {
  /** The log with copies applied and fixups removed in every valid page. */
  bytes: Uint8Array;
  pageSize: number;
  /** First page of the circular area (bytes). */
  firstDataOffset: number;
  /** End of the circular area we hold: min(restart area file size, bytes we have). */
  endOffset: number;
  /** True when the copy we hold is shorter than the log the restart area describes. */
  truncated: boolean;
  /** Valid record pages of the circular area, by page index (offset / pageSize). */
  pages: Map<number, PageInfo>;
  applied: AppliedCopy[];
  /** Valid copies older than their home page, left where they lie. */
  unapplied: AppliedCopy[];
  /** Pages that look like RCRD but failed their fixups or header checks. */
  damaged: number[];
}

/** Decodes and fixes up the RCRD page at `offset` of `bytes` in place; null when it is not a valid page. */
function fixPage(bytes: Uint8Array, offset: number, pageSize: number, dataOffset: number): PageInfo | null {
  if (offset + pageSize > bytes.length) return null;
  if (bytes[offset] !== 0x52 || bytes[offset + 1] !== 0x43 || bytes[offset + 2] !== 0x52 || bytes[offset + 3] !== 0x44) return null;
  const h = RecordPageHeaderStruct.decode(bytes, offset);
  if (h.usaCount !== pageSize / 512 + 1 || h.usaOffset + h.usaCount * 2 > dataOffset) return null;
  const page = bytes.subarray(offset, offset + pageSize);
  if (!applyFixups(page, h.usaOffset, h.usaCount).ok) return null;
  if (h.nextRecordOffset > pageSize) return null;
  return {
    offset, lastLsn: h.lastLsnOrFileOffset, lastEndLsn: h.lastEndLsn, flags: h.flags, pageCount: h.pageCount,
    pagePosition: h.pagePosition, nextRecordOffset: h.nextRecordOffset,
  };
}

/** Header fields of a copy page without fixing it up (its protected bytes are what gets copied home). */
function peekCopy(bytes: Uint8Array, offset: number, pageSize: number, dataOffset: number): { lastField: bigint; fastHome: number; lastEndLsn: bigint } | null {
  const scratch = bytes.slice(offset, offset + pageSize);
  if (!fixPage(scratch, 0, pageSize, dataOffset)) return null;
  const h = RecordPageHeaderStruct.decode(scratch, 0);
  return { lastField: h.lastLsnOrFileOffset, fastHome: h.fastFileOffset, lastEndLsn: h.lastEndLsn };
}

/** Applies tail (1.1) or fast (2.0) copies to their homes, then fixes up every page of the circular area. */
export function prepareLogPages(log: Uint8Array, restart: RestartPageInfo, applyCopies = true): LogPages {
  const pageSize = restart.logPageSize;
  const dataOffset = restart.logPageDataOffset;
  const v2 = restart.majorVersion >= 2;
  const copiesFrom = 2 * restart.systemPageSize;
  const copyCount = v2 ? 32 : 2;
  const firstDataOffset = v2 ? 0x22 * pageSize : copiesFrom + 2 * pageSize;
  const logSize = Number(restart.fileSize > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : restart.fileSize);
  const have = log.length - (log.length % pageSize);
  const logEnd = logSize - (logSize % pageSize);
  let bytes = log;

  const homeLastLsn = (home: number): bigint | null => {
    const info = home + pageSize <= bytes.length ? peekCopy(bytes, home, pageSize, dataOffset) : null;
    return info ? info.lastField : null;
  };
  const applied: AppliedCopy[] = [];
  const copies: Array<{ from: number; to: number; order: bigint }> = [];
  for (let i = 0; i < (applyCopies ? copyCount : 0); i++) {
    const from = copiesFrom + i * pageSize;
    const info = from + pageSize <= bytes.length ? peekCopy(bytes, from, pageSize, dataOffset) : null;
    if (!info) continue;
    const to = v2 ? info.fastHome : Number(info.lastField > BigInt(Number.MAX_SAFE_INTEGER) ? -1n : info.lastField);
    // A copy may name a home past the end of a truncated copy of the log: it is placed there anyway.
    if (to < firstDataOffset || to % pageSize || to + pageSize > logEnd) continue;
    // 1.1 copies name their home at 8, so their recency is the last end LSN; 2.0 copies keep the last LSN at 8.
    copies.push({ from, to, order: v2 ? info.lastField : info.lastEndLsn });
  }
  const olderTail = !v2 && copies.length === 2 ? copies.splice(copies[0].order >= copies[1].order ? 1 : 0, 1)[0] : null;
  copies.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  const endOffset = Math.max(Math.min(logEnd, have), ...copies.map((c) => c.to + pageSize));
  bytes = new Uint8Array(Math.max(endOffset, log.length));
  bytes.set(log);
  const unapplied: AppliedCopy[] = olderTail ? [{ from: olderTail.from, to: olderTail.to, lastLsn: olderTail.order, kind: 'tail' }] : [];
  for (const c of copies) {
    const home = homeLastLsn(c.to);
    if (home !== null && home > c.order) {
      unapplied.push({ from: c.from, to: c.to, lastLsn: c.order, kind: v2 ? 'fast' : 'tail' });
      continue;
    }
    bytes.set(log.subarray(c.from, c.from + pageSize), c.to);
    applied.push({ from: c.from, to: c.to, lastLsn: c.order, kind: v2 ? 'fast' : 'tail' });
  }

  const pages = new Map<number, PageInfo>();
  const damaged: number[] = [];
  for (let at = firstDataOffset; at + pageSize <= endOffset; at += pageSize) {
    const info = fixPage(bytes, at, pageSize, dataOffset);
    if (info) pages.set(at / pageSize, info);
    else if (bytes[at] === 0x52 && bytes[at + 1] === 0x43) damaged.push(at);
  }
  return { bytes, pageSize, firstDataOffset, endOffset, truncated: endOffset < logEnd, pages, applied, unapplied, damaged };
}

/**
 * The copies left unapplied, each placed at its home in an otherwise empty
 * image, so the records they keep from earlier passes over the log (stale:
 * overwritten at home since) can be walked like any others. Newer copies of
 * one home win.
 */
export function prepareStaleCopies(log: Uint8Array, restart: RestartPageInfo, live: LogPages): LogPages {
  const { pageSize, firstDataOffset, endOffset } = live;
  const bytes = new Uint8Array(endOffset);
  const pages = new Map<number, PageInfo>();
  for (const c of [...live.unapplied].sort((a, b) => (a.lastLsn < b.lastLsn ? -1 : 1))) {
    bytes.set(log.subarray(c.from, c.from + pageSize), c.to);
    const info = fixPage(bytes, c.to, pageSize, restart.logPageDataOffset);
    if (info) pages.set(c.to / pageSize, info);
  }
  return { bytes, pageSize, firstDataOffset, endOffset, truncated: live.truncated, pages, applied: [], unapplied: [], damaged: [] };
}
