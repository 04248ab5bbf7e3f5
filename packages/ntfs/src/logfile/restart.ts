/**
 * Restart pages of $LogFile: two copies, at offset 0 and one system page in.
 * A copy is valid when its magic is RSTR or CHKD, its fixups match (a torn
 * write fails them), its version is 1.1 or 2.0 and its restart area and client
 * array fit; of two valid copies the larger current LSN wins (ntfs3 fslog.c
 * log_read_rst; ntfs-3g logfile.c ntfs_check_logfile). Pure decoders.
 */
import { applyFixups } from '../codec/fixup.js';
import { decodeUtf16Units } from '../codec/utf16.js';
import { RestartPageHeaderStruct } from './layout/restart-page-header.js';
import { LFS_NO_CLIENT, RestartAreaFlag, RestartAreaStruct } from './layout/restart-area.js';
import { LogClientRecordStruct } from './layout/log-client-record.js';
import { LogLimits } from './errors.js';
import { expectedSeqNumberBits } from './lsn.js';

export interface LogClient {
  index: number; name: string; oldestLsn: bigint; clientRestartLsn: bigint; prevClient: number; nextClient: number; seqNumber: number;
}

export interface RestartPageInfo {
  offset: number; magic: 'RSTR' | 'CHKD'; majorVersion: number; minorVersion: number; chkdskLsn: bigint;
  systemPageSize: number; logPageSize: number; updateSequenceNumber: number;
  currentLsn: bigint; logClients: number; clientFreeList: number; clientInUseList: number; flags: number;
  seqNumberBits: number; restartAreaLength: number; fileSize: bigint; lastLsnDataLength: number;
  logRecordHeaderLength: number; logPageDataOffset: number; restartLogOpenCount: number; clients: LogClient[];
  /** Clean: no client in use, or RESTART_VOLUME_IS_CLEAN set. */
  clean: boolean;
}

/** Why a restart page copy was rejected, or the decoded page. */
export type RestartPageResult = { ok: true; page: RestartPageInfo } | { ok: false; offset: number; problem: string };

const pow2 = (x: number): boolean => x >= 512 && x <= LogLimits.maxPageSize && (x & (x - 1)) === 0;

/** Decodes the restart page at `offset` of `log` (a copy is fixed up; `log` is not changed). */
export function decodeRestartPage(log: Uint8Array, offset: number): RestartPageResult {
  const bad = (problem: string): RestartPageResult => ({ ok: false, offset, problem });
  if (offset + 512 > log.length) return bad('beyond the end of the log');
  const h = RestartPageHeaderStruct.decode(log, offset);
  if (h.magic !== 'RSTR' && h.magic !== 'CHKD') return bad(`magic "${h.magic.replace(/[^\x20-\x7e]/g, '.')}" is not RSTR or CHKD`);
  if (!pow2(h.systemPageSize) || !pow2(h.logPageSize)) return bad(`page sizes ${h.systemPageSize}/${h.logPageSize} are not powers of two in 512..65536`);
  if (offset !== 0 && offset !== h.systemPageSize) return bad(`second copy at 0x${offset.toString(16)} is not one system page (${h.systemPageSize}) in`);
  if (offset + h.systemPageSize > log.length) return bad('the system page runs past the end of the log');
  if (!((h.majorVersion === 1 && h.minorVersion === 1) || (h.majorVersion === 2 && h.minorVersion === 0))) return bad(`version ${h.majorVersion}.${h.minorVersion} is not 1.1 or 2.0`);
  const page = log.slice(offset, offset + h.systemPageSize);
  const fix = applyFixups(page, h.usaOffset, h.usaCount);
  if (!fix.ok) return bad(`torn or damaged: ${fix.problem}`);
  const ra = h.restartAreaOffset;
  const usaEnd = h.usaOffset + h.usaCount * 2;
  if (ra % 8 || ra < usaEnd || ra + RestartAreaStruct.size > h.systemPageSize) return bad(`restart area offset 0x${ra.toString(16)} is misaligned or out of the page`);
  const a = RestartAreaStruct.decode(page, ra);
  if (a.logClients > LogLimits.maxClients) return bad(`${a.logClients} log clients (cap ${LogLimits.maxClients})`);
  const clientsAt = ra + a.clientArrayOffset;
  if (a.clientArrayOffset % 8 || clientsAt + a.logClients * LogClientRecordStruct.size > h.systemPageSize) return bad('the client array does not fit the page');
  if (ra + a.restartAreaLength > h.systemPageSize || a.clientArrayOffset + a.logClients * 160 > a.restartAreaLength) return bad(`restart area length ${a.restartAreaLength} does not hold the client array`);
  for (const list of [a.clientFreeList, a.clientInUseList]) if (list !== LFS_NO_CLIENT && list >= a.logClients) return bad(`client list head ${list} is not a client`);
  if (a.seqNumberBits !== expectedSeqNumberBits(a.fileSize)) return bad(`seq_number_bits ${a.seqNumberBits} does not match the log size ${a.fileSize}`);
  if (a.logPageDataOffset % 8 || a.logRecordHeaderLength % 8 || a.logRecordHeaderLength < 0x30 || a.logPageDataOffset < 0x28 || a.logPageDataOffset + a.logRecordHeaderLength > h.logPageSize) return bad('record header length or page data offset are invalid');
  const clients: LogClient[] = [];
  for (let i = 0; i < a.logClients; i++) {
    const c = LogClientRecordStruct.decode(page, clientsAt + i * LogClientRecordStruct.size);
    const nameUnits = Math.min(c.clientNameLength, 128) >> 1;
    clients.push({
      index: i, name: decodeUtf16Units(c.clientName, 0, nameUnits), oldestLsn: c.oldestLsn, clientRestartLsn: c.clientRestartLsn,
      prevClient: c.prevClient, nextClient: c.nextClient, seqNumber: c.seqNumber,
    });
  }
  const clean = a.clientInUseList === LFS_NO_CLIENT || (a.flags & RestartAreaFlag.volumeIsClean) !== 0;
  return {
    ok: true,
    page: {
      offset, magic: h.magic, majorVersion: h.majorVersion, minorVersion: h.minorVersion, chkdskLsn: h.chkdskLsn,
      systemPageSize: h.systemPageSize, logPageSize: h.logPageSize, updateSequenceNumber: fix.updateSequenceNumber,
      currentLsn: a.currentLsn, logClients: a.logClients, clientFreeList: a.clientFreeList, clientInUseList: a.clientInUseList,
      flags: a.flags, seqNumberBits: a.seqNumberBits, restartAreaLength: a.restartAreaLength, fileSize: a.fileSize,
      lastLsnDataLength: a.lastLsnDataLength, logRecordHeaderLength: a.logRecordHeaderLength, logPageDataOffset: a.logPageDataOffset,
      restartLogOpenCount: a.restartLogOpenCount, clients, clean,
    },
  };
}

export interface RestartPages {
  /** The two copies as found (decoded or rejected). */
  copies: RestartPageResult[];
  /** The copy in force: the valid one with the larger current LSN (the first on a tie). */
  current: RestartPageInfo | null;
}

/** True when every byte of the first two 4 KiB is 0xFF: an emptied log (mkntfs, ntfsfix, ntfs-3g reset). */
export function isEmptyLog(log: Uint8Array): boolean {
  const n = Math.min(log.length, 8192);
  for (let i = 0; i < n; i++) if (log[i] !== 0xff) return false;
  return true;
}

/** Both restart copies and the one in force. The second copy sits one system page in (from the first valid copy, else 4096). */
export function decodeRestartPages(log: Uint8Array): RestartPages {
  const first = decodeRestartPage(log, 0);
  let second: RestartPageResult | null = null;
  const candidates = first.ok ? [first.page.systemPageSize] : [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
  for (const at of candidates) {
    const r = decodeRestartPage(log, at);
    if (r.ok || !second) second = r;
    if (r.ok) break;
  }
  if (second && !second.ok && !first.ok) second = { ok: false, offset: 4096, problem: second.problem };
  const copies = [first, second ?? { ok: false as const, offset: 4096, problem: 'absent' }];
  const valid = copies.filter((c): c is { ok: true; page: RestartPageInfo } => c.ok).map((c) => c.page);
  const current = valid.length === 2 ? (valid[1].currentLsn > valid[0].currentLsn ? valid[1] : valid[0]) : (valid[0] ?? null);
  return { copies, current };
}
