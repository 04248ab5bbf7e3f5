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
  /** The page's bytes with fixups removed (a private copy). */
  bytes: Uint8Array;
}

export interface AppliedCopy { from: number; to: number; lastLsn: bigint; kind: 'tail' | 'fast' }

export interface LogPages {
  pageSize: number;
  /** First page of the circular area (bytes). */
  firstDataOffset: number;
  /** End of the circular area we hold: min(restart area file size, bytes we have), or past it for a copy's home. */
  endOffset: number;
  /** True when the copy we hold is shorter than the log the restart area describes. */
  truncated: boolean;
  /** Valid record pages of the circular area (copies applied, fixups removed), by page index (offset / pageSize). */
  pages: Map<number, PageInfo>;
  applied: AppliedCopy[];
  /** Valid copies older than their home page, left where they lie. */
  unapplied: AppliedCopy[];
  /** Pages that look like RCRD but failed their fixups or header checks. */
  damaged: number[];
}

const isRcrd = (b: Uint8Array): boolean => b[0] === 0x52 && b[1] === 0x43 && b[2] === 0x52 && b[3] === 0x44;

/**
 * A private, fixed-up copy of the RCRD page `raw` (protected bytes), with its header; null when it is
 * not a valid page. Only valid pages are copied: a log is mostly empty or stale pages.
 */
function fixPage(raw: Uint8Array, offset: number, pageSize: number, dataOffset: number): PageInfo | null {
  if (raw.length < pageSize || !isRcrd(raw)) return null;
  const h = RecordPageHeaderStruct.decode(raw, 0);
  if (h.usaCount !== pageSize / 512 + 1 || h.usaOffset + h.usaCount * 2 > dataOffset || h.nextRecordOffset > pageSize) return null;
  const bytes = raw.slice(0, pageSize);
  if (!applyFixups(bytes, h.usaOffset, h.usaCount).ok) return null;
  return {
    offset, lastLsn: h.lastLsnOrFileOffset, lastEndLsn: h.lastEndLsn, flags: h.flags, pageCount: h.pageCount,
    pagePosition: h.pagePosition, nextRecordOffset: h.nextRecordOffset, bytes,
  };
}

/** Fixes up the pages of [first, end): each from `sources` when given there, else from the log itself. */
function fixPages(log: Uint8Array, sources: Map<number, Uint8Array>, indexes: Iterable<number>, pageSize: number, dataOffset: number): { pages: Map<number, PageInfo>; damaged: number[] } {
  const pages = new Map<number, PageInfo>();
  const damaged: number[] = [];
  for (const index of indexes) {
    const at = index * pageSize;
    const raw = sources.get(index) ?? (at + pageSize <= log.length ? log.subarray(at, at + pageSize) : null);
    if (!raw) continue;
    const info = fixPage(raw, at, pageSize, dataOffset);
    if (info) pages.set(index, info);
    else if (isRcrd(raw)) damaged.push(at);
  }
  return { pages, damaged };
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

  const copies: Array<{ from: number; to: number; order: bigint }> = [];
  for (let i = 0; i < (applyCopies ? copyCount : 0); i++) {
    const from = copiesFrom + i * pageSize;
    const info = from + pageSize <= log.length ? fixPage(log.subarray(from, from + pageSize), from, pageSize, dataOffset) : null;
    if (!info) continue;
    const fastHome = RecordPageHeaderStruct.decode(info.bytes, 0).fastFileOffset;
    const to = v2 ? fastHome : Number(info.lastLsn > BigInt(Number.MAX_SAFE_INTEGER) ? -1n : info.lastLsn);
    // A copy may name a home past the end of a truncated copy of the log: it is placed there anyway.
    if (to < firstDataOffset || to % pageSize || to + pageSize > logEnd) continue;
    // 1.1 copies name their home at 8, so their recency is the last end LSN; 2.0 copies keep the last LSN at 8.
    copies.push({ from, to, order: v2 ? info.lastLsn : info.lastEndLsn });
  }
  const olderTail = !v2 && copies.length === 2 ? copies.splice(copies[0].order >= copies[1].order ? 1 : 0, 1)[0] : null;
  copies.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  const endOffset = Math.max(Math.min(logEnd, have), ...copies.map((c) => c.to + pageSize));

  const sources = new Map<number, Uint8Array>();
  const unapplied: AppliedCopy[] = olderTail ? [{ from: olderTail.from, to: olderTail.to, lastLsn: olderTail.order, kind: 'tail' }] : [];
  const applied: AppliedCopy[] = [];
  for (const c of copies) {
    const current = sources.get(c.to / pageSize) ?? (c.to + pageSize <= log.length ? log.subarray(c.to, c.to + pageSize) : null);
    const home = current ? fixPage(current, c.to, pageSize, dataOffset) : null;
    if (home && home.lastLsn > c.order) {
      unapplied.push({ from: c.from, to: c.to, lastLsn: c.order, kind: v2 ? 'fast' : 'tail' });
      continue;
    }
    sources.set(c.to / pageSize, log.subarray(c.from, c.from + pageSize));
    applied.push({ from: c.from, to: c.to, lastLsn: c.order, kind: v2 ? 'fast' : 'tail' });
  }
  const indexes = function* (): Generator<number> { for (let i = firstDataOffset / pageSize; (i + 1) * pageSize <= endOffset; i++) yield i; };
  const { pages, damaged } = fixPages(log, sources, indexes(), pageSize, dataOffset);
  return { pageSize, firstDataOffset, endOffset, truncated: endOffset < logEnd, pages, applied, unapplied, damaged };
}

/**
 * The copies left unapplied, each placed at its home in an otherwise empty
 * image, so the records they keep from earlier passes over the log (stale:
 * overwritten at home since) can be walked like any others. Newer copies of
 * one home win.
 */
export function prepareStaleCopies(log: Uint8Array, restart: RestartPageInfo, live: LogPages): LogPages {
  const { pageSize } = live;
  const sources = new Map<number, Uint8Array>();
  for (const c of [...live.unapplied].sort((a, b) => (a.lastLsn < b.lastLsn ? -1 : 1))) sources.set(c.to / pageSize, log.subarray(c.from, c.from + pageSize));
  const { pages } = fixPages(new Uint8Array(0), sources, [...sources.keys()], pageSize, restart.logPageDataOffset);
  return { ...live, pages, applied: [], unapplied: [], damaged: [] };
}
