/**
 * Walking LFS records through the prepared pages. A record starts at its
 * LSN's offset, its 0x30-byte header never straddles a page, and its client
 * data continues past each page's header (at the log page data offset) on the
 * following pages, wrapping from the end of the circular area to its first
 * page with the sequence number raised by one (ntfs3 fslog.c read_log_rec_buf,
 * next_log_lsn; libfsntfs $LogFile document). The next record begins at the
 * 8-aligned end of this one, or at the next page when no header fits there or
 * the page's free space begins before it.
 */
import { LfsRecordHeaderStruct } from './layout/lfs-record-header.js';
import { LogLimits } from './errors.js';
import { lsnToOffset, lsnToSequence, offsetToLsn, type LsnGeometry } from './lsn.js';
import type { LogPages } from './pages.js';

export interface LfsRecord {
  lsn: bigint; offset: number; clientPreviousLsn: bigint; clientUndoNextLsn: bigint; clientDataLength: number;
  seqNumber: number; clientIndex: number; recordType: number; transactionId: number; flags: number;
  /** Client data, gathered across pages. */
  data: Uint8Array;
  /** Pages the record spans. */
  pageSpan: number;
  /** LSN where the next record should start (not checked). */
  nextLsn: bigint;
  /** The first slot of the following page: where the next record starts when the writer moved on. */
  nextPageLsn: bigint;
}

export interface WalkContext { pages: LogPages; geometry: LsnGeometry; headerLength: number; dataOffset: number }

/** Where a record can start: in a valid page, past the page header, with room for a header. */
function validStart(ctx: WalkContext, offset: number): boolean {
  const { pages } = ctx;
  if (offset % 8 || offset < pages.firstDataOffset || offset >= pages.endOffset) return false;
  const inPage = offset % pages.pageSize;
  return inPage >= ctx.dataOffset && inPage + ctx.headerLength <= pages.pageSize && pages.pages.has(Math.floor(offset / pages.pageSize));
}

function nextPage(ctx: WalkContext, pageStart: number): { start: number; wrapped: boolean } {
  const n = pageStart + ctx.pages.pageSize;
  return n >= ctx.pages.endOffset ? { start: ctx.pages.firstDataOffset, wrapped: true } : { start: n, wrapped: false };
}

/**
 * The record at `lsn`, or null when no record with that LSN is there (a
 * stale page, a torn page on the way, a header whose LSN differs, data too long).
 */
export function readRecordAt(ctx: WalkContext, lsn: bigint): LfsRecord | null {
  const { pages } = ctx;
  const offset = lsnToOffset(lsn, ctx.geometry);
  if (!validStart(ctx, offset)) return null;
  let page = pages.pages.get(Math.floor(offset / pages.pageSize))!;
  const h = LfsRecordHeaderStruct.decode(page.bytes, offset % pages.pageSize);
  if (h.thisLsn !== lsn) return null;
  const length = h.clientDataLength;
  if (length > LogLimits.maxClientDataLength || length > pages.endOffset - pages.firstDataOffset) return null;
  const data = new Uint8Array(length);
  let seq = lsnToSequence(lsn, ctx.geometry);
  let pageStart = offset - (offset % pages.pageSize);
  let at = offset + ctx.headerLength;
  let got = 0;
  let span = 1;
  for (;;) {
    const room = pageStart + pages.pageSize - at;
    const take = Math.min(room, length - got);
    data.set(page.bytes.subarray(at - pageStart, at - pageStart + take), got);
    got += take;
    at += take;
    if (got === length) break;
    const n = nextPage(ctx, pageStart);
    if (n.wrapped) seq++;
    pageStart = n.start;
    const nextPageInfo = pages.pages.get(pageStart / pages.pageSize);
    if (!nextPageInfo) return null;
    page = nextPageInfo;
    at = pageStart + ctx.dataOffset;
    if (++span > pages.pages.size + 1) return null;
  }
  // The next record: the 8-aligned end, or the next page when no header fits there. A page's
  // "next record offset" is not trusted for this (multi-page writes leave it before a record
  // that spans into the next page), so the walk also tries the next page when the first guess fails.
  const aligned = (at + 7) & ~7;
  const after = nextPage(ctx, pageStart);
  const nextPageLsn = offsetToLsn(after.start + ctx.dataOffset, after.wrapped ? seq + 1n : seq, ctx.geometry);
  const nextLsn = aligned + ctx.headerLength > pageStart + pages.pageSize ? nextPageLsn : offsetToLsn(aligned, seq, ctx.geometry);
  return {
    lsn, offset, clientPreviousLsn: h.clientPreviousLsn, clientUndoNextLsn: h.clientUndoNextLsn, clientDataLength: length,
    seqNumber: h.seqNumber, clientIndex: h.clientIndex, recordType: h.recordType, transactionId: h.transactionId, flags: h.flags,
    data, pageSpan: span, nextLsn, nextPageLsn,
  };
}

/**
 * Every record reachable by walking forward from `seeds` and from each page
 * whose first record starts at the page data offset, each once, in LSN order.
 * Work is bounded by the number of 8-byte slots of the log.
 */
export function collectRecords(ctx: WalkContext, seeds: bigint[]): LfsRecord[] {
  const found = new Map<bigint, LfsRecord>();
  const starts = [...seeds];
  for (const [index, info] of ctx.pages.pages) {
    starts.push(info.lastEndLsn);
    const seq = lsnToSequence(info.lastEndLsn, ctx.geometry);
    starts.push(offsetToLsn(index * ctx.pages.pageSize + ctx.dataOffset, seq, ctx.geometry));
  }
  const budget = Math.ceil((ctx.pages.endOffset - ctx.pages.firstDataOffset) / 8) + starts.length;
  let steps = 0;
  for (const start of starts) {
    let r = found.has(start) ? null : readRecordAt(ctx, start);
    while (r && steps++ < budget) {
      found.set(r.lsn, r);
      // The next record: at the aligned end, else at the next page (each read once).
      let next: LfsRecord | null = null;
      for (const n of [r.nextLsn, r.nextPageLsn]) {
        if (n <= r.lsn || found.has(n)) break;
        next = readRecordAt(ctx, n);
        if (next) break;
      }
      r = next;
    }
  }
  return [...found.values()].sort((a, b) => (a.lsn < b.lsn ? -1 : a.lsn > b.lsn ? 1 : 0));
}
