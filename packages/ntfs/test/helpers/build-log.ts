/**
 * Builds small synthetic $LogFile images for unit and mutation tests: two
 * restart pages and RCRD pages holding LFS records laid out as LFS lays them
 * (header never split, data continued past each page header, wrap to the
 * first data page with the sequence number raised). Written from the layout
 * tables (encode side of defineStruct), then fixups protected.
 */
import { protectFixups } from '../../src/codec/fixup.js';
import { RestartPageHeaderStruct } from '../../src/logfile/layout/restart-page-header.js';
import { RestartAreaStruct } from '../../src/logfile/layout/restart-area.js';
import { LogClientRecordStruct } from '../../src/logfile/layout/log-client-record.js';
import { RecordPageHeaderStruct } from '../../src/logfile/layout/record-page-header.js';
import { LfsRecordHeaderStruct } from '../../src/logfile/layout/lfs-record-header.js';
import { NtfsLogRecordHeaderStruct } from '../../src/logfile/layout/ntfs-log-record-header.js';
import { expectedSeqNumberBits, offsetToLsn } from '../../src/logfile/lsn.js';

export const PAGE = 4096;
const DATA = 0x40;
const HEADER = 0x30;

export interface BuiltRecord { lsn: bigint; offset: number; data: Uint8Array; recordType: number; transactionId: number }

export interface BuildLogOptions {
  pages?: number; major?: number; minor?: number; startPage?: number; startInPage?: number; startSeq?: bigint;
  records: Array<{ data: Uint8Array; recordType?: number; transactionId?: number }>;
  flags?: number; inUse?: number; magic?: 'RSTR' | 'CHKD';
}

/** An NTFS update record's client data: the 0x20-byte header, one LCN, then redo and undo bytes. */
export function ntfsUpdate(redoOp: number, undoOp: number, redo: Uint8Array, undo: Uint8Array, target: Partial<{ targetAttribute: number; targetVcn: bigint; clusterBlockOffset: number; targetBlockSize: number; recordOffset: number; attributeOffset: number }> = {}): Uint8Array {
  const redoOffset = 0x28;
  const undoOffset = redoOffset + ((redo.length + 7) & ~7);
  const out = new Uint8Array(undoOffset + ((undo.length + 7) & ~7));
  NtfsLogRecordHeaderStruct.encode({
    redoOperation: redoOp, undoOperation: undoOp, redoOffset, redoLength: redo.length, undoOffset, undoLength: undo.length,
    targetAttribute: target.targetAttribute ?? 0, lcnsToFollow: 1, recordOffset: target.recordOffset ?? 0, attributeOffset: target.attributeOffset ?? 0,
    clusterBlockOffset: target.clusterBlockOffset ?? 0, targetBlockSize: target.targetBlockSize ?? 2, targetVcn: target.targetVcn ?? 0n,
  }, out, 0);
  out.set(redo, redoOffset);
  out.set(undo, undoOffset);
  return out;
}

export function buildLog(o: BuildLogOptions): { log: Uint8Array; records: BuiltRecord[]; seqNumberBits: number } {
  const major = o.major ?? 1;
  const pages = o.pages ?? 16;
  const size = pages * PAGE;
  const first = major >= 2 ? 0x22 * PAGE : 4 * PAGE;
  if (first >= size) throw new Error('log too small');
  const seqNumberBits = expectedSeqNumberBits(BigInt(size));
  const g = { seqNumberBits };
  const log = new Uint8Array(size).fill(0xff);
  const info = new Map<number, { lastLsn: bigint; lastEndLsn: bigint; next: number; end: boolean }>();
  const touch = (page: number) => info.get(page) ?? (info.set(page, { lastLsn: 0n, lastEndLsn: 0n, next: DATA, end: false }).get(page)!);
  let pos = (o.startPage ?? first / PAGE) * PAGE + (o.startInPage ?? DATA);
  let seq = o.startSeq ?? 1n;
  const advance = (page: number): number => { const n = page + PAGE; if (n >= size) { seq++; return first; } return n; };
  const built: BuiltRecord[] = [];
  let previous = 0n;
  for (const r of o.records) {
    if ((pos % PAGE) + HEADER > PAGE) pos = advance(pos - (pos % PAGE)) + DATA;
    let page = pos - (pos % PAGE);
    const lsn = offsetToLsn(pos, seq, g);
    const start = pos;
    if (!info.has(page / PAGE)) log.fill(0, page, page + PAGE);
    LfsRecordHeaderStruct.encode({ thisLsn: lsn, clientPreviousLsn: previous, clientUndoNextLsn: previous, clientDataLength: r.data.length, recordType: r.recordType ?? 1, transactionId: r.transactionId ?? 0x18, flags: 0 }, log, pos);
    touch(page / PAGE).lastLsn = lsn;
    let at = pos + HEADER;
    let got = 0;
    let multi = false;
    for (;;) {
      const take = Math.min(page + PAGE - at, r.data.length - got);
      log.set(r.data.subarray(got, got + take), at);
      got += take;
      at += take;
      if (got === r.data.length) break;
      multi = true;
      page = advance(page);
      if (!info.has(page / PAGE)) log.fill(0, page, page + PAGE);
      touch(page / PAGE).lastLsn = lsn;
      at = page + DATA;
    }
    if (multi) log[start + 40] = 1;
    const p = touch(page / PAGE);
    p.lastEndLsn = lsn;
    p.end = true;
    pos = (at + 7) & ~7;
    p.next = pos - page;
    built.push({ lsn, offset: start, data: r.data, recordType: r.recordType ?? 1, transactionId: r.transactionId ?? 0x18 });
    previous = lsn;
  }
  for (const [index, p] of info) {
    const at = index * PAGE;
    RecordPageHeaderStruct.encode({ magic: 'RCRD', usaOffset: 0x28, usaCount: PAGE / 512 + 1, lastLsnOrFileOffset: p.lastLsn, flags: p.end ? 1 : 0, pageCount: 1, pagePosition: 1, nextRecordOffset: p.next, lastEndLsn: p.lastEndLsn || p.lastLsn }, log, at);
    protectFixups(log.subarray(at, at + PAGE), 0x28, PAGE / 512 + 1, 3);
  }
  const last = built.length ? built[built.length - 1].lsn : 0n;
  const restart = encodeRestart({ size, seqNumberBits, currentLsn: last, major, minor: o.minor ?? (major >= 2 ? 0 : 1), flags: o.flags ?? 0, inUse: o.inUse ?? 0, magic: o.magic ?? 'RSTR', oldest: built[0]?.lsn ?? 0n });
  log.set(restart, 0);
  log.set(restart, PAGE);
  return { log, records: built, seqNumberBits };
}

export function encodeRestart(o: { size: number; seqNumberBits: number; currentLsn: bigint; major: number; minor: number; flags: number; inUse: number; magic: 'RSTR' | 'CHKD'; oldest: bigint; restartLsn?: bigint; usn?: number }): Uint8Array {
  const p = new Uint8Array(PAGE);
  RestartPageHeaderStruct.encode({ magic: o.magic, usaOffset: 0x1e, usaCount: PAGE / 512 + 1, systemPageSize: PAGE, logPageSize: PAGE, restartAreaOffset: 0x30, minorVersion: o.minor, majorVersion: o.major }, p, 0);
  RestartAreaStruct.encode({
    currentLsn: o.currentLsn, logClients: 1, clientFreeList: 0xffff, clientInUseList: o.inUse, flags: o.flags, seqNumberBits: o.seqNumberBits,
    restartAreaLength: 0x40 + 0xa0, clientArrayOffset: 0x40, fileSize: BigInt(o.size), lastLsnDataLength: 0, logRecordHeaderLength: 0x30, logPageDataOffset: 0x40, restartLogOpenCount: 7,
  }, p, 0x30);
  const name = new Uint8Array(128);
  for (let i = 0; i < 4; i++) name[i * 2] = 'NTFS'.charCodeAt(i);
  LogClientRecordStruct.encode({ oldestLsn: o.oldest, clientRestartLsn: o.restartLsn ?? 0n, prevClient: 0xffff, nextClient: 0xffff, clientNameLength: 8, clientName: name }, p, 0x70);
  protectFixups(p, 0x1e, PAGE / 512 + 1, o.usn ?? 1);
  return p;
}
