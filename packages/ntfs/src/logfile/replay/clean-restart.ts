/**
 * The restart page a finished replay leaves, as ntfsrecover leaves it
 * (compared byte for byte on a real volume): the copy in force, at version
 * 1.1, no client in use, RESTART_VOLUME_IS_CLEAN set, the client's oldest LSN
 * moved to the end of the log, update sequence number raised by one; the same
 * page is written over both copies. Pure.
 */
import { applyFixups, protectFixups } from '../../codec/fixup.js';
import { RestartPageHeaderStruct } from '../layout/restart-page-header.js';
import { LFS_NO_CLIENT, RestartAreaFlag, RestartAreaStruct } from '../layout/restart-area.js';
import { LogClientRecordStruct } from '../layout/log-client-record.js';
import type { RestartPageInfo } from '../restart.js';
import { logCorrupt } from '../errors.js';

/** `log` holds at least the in-force restart page. */
export function encodeCleanRestartPage(log: Uint8Array, inForce: RestartPageInfo, endLsn: bigint): Uint8Array {
  const page = log.slice(inForce.offset, inForce.offset + inForce.systemPageSize);
  const h = RestartPageHeaderStruct.decode(page, 0);
  if (!applyFixups(page, h.usaOffset, h.usaCount).ok) throw logCorrupt('NTFS_LOG_RESTART_CHANGED', 'the restart page in force no longer passes its fixups', inForce.offset);
  RestartPageHeaderStruct.encode({ ...h, majorVersion: 1, minorVersion: 1 }, page, 0);
  const ra = h.restartAreaOffset;
  const a = RestartAreaStruct.decode(page, ra);
  RestartAreaStruct.encode({ ...a, currentLsn: endLsn, clientInUseList: LFS_NO_CLIENT, flags: a.flags | RestartAreaFlag.volumeIsClean }, page, ra);
  for (let i = 0; i < a.logClients; i++) {
    const at = ra + a.clientArrayOffset + i * LogClientRecordStruct.size;
    const c = LogClientRecordStruct.decode(page, at);
    LogClientRecordStruct.encode({ ...c, oldestLsn: endLsn }, page, at);
  }
  const usn = inForce.updateSequenceNumber >= 0xffff ? 1 : inForce.updateSequenceNumber + 1;
  protectFixups(page, h.usaOffset, h.usaCount, usn);
  return page;
}
