/**
 * $LogFile restart area: is the journal clean? Follows ntfs-3g's judgement
 * (logfile.c ntfs_check_logfile / ntfs_is_logfile_clean, volume.c
 * ntfs_volume_check_logfile), read and re-derived, not copied:
 *  - restart pages ("RSTR", or "CHKD" after chkdsk) are looked for at offset 0,
 *    then 512, 1024, 2048, ... (the second copy normally sits one system page in);
 *  - a log whose first pages are all 0xFF is "empty" (ntfs-3g and mkntfs leave
 *    it so), which counts as clean;
 *  - of two valid copies the one with the larger current LSN wins;
 *  - unclean: a client is still in use (client_in_use_list != 0xFFFF) and the
 *    RESTART_VOLUME_IS_CLEAN flag (0x0002) is clear;
 *  - version 2.0 restart pages mean Windows kept metadata cached (fast startup,
 *    or an abrupt stop): ntfs-3g refuses these too.
 *
 *   RESTART_PAGE_HEADER: 0 magic | 4 usa offset | 6 usa count | 8 chkdsk LSN | 16 system page size
 *                        20 log page size | 24 restart area offset | 26 minor | 28 major
 *   RESTART_AREA: 0 current LSN | 8 log clients | 10 free list | 12 in-use list | 14 flags
 *                 16 seq number bits | 20 restart area length | 22 client array offset | 24 file size
 *   LOG_CLIENT_RECORD (160 bytes): 0 oldest LSN | 8 client restart LSN | ... | 28 name length | 32 name
 */
import { CorruptError, viewOf } from '@coldfix/io';
import { removeFixups } from '../codec/block-fixup.js';
import { utf16 } from '../record/record-bytes.js';

export const LOGFILE_NO_CLIENT = 0xffff;
export const RESTART_VOLUME_IS_CLEAN = 0x0002;

export interface LogClient { name: string; oldestLsn: bigint; clientRestartLsn: bigint }

export interface RestartPage {
  offset: number; magic: 'RSTR' | 'CHKD'; systemPageSize: number; logPageSize: number; majorVersion: number; minorVersion: number;
  chkdskLsn: bigint; currentLsn: bigint; logClients: number; clientInUseList: number; flags: number; fileSize: bigint; clients: LogClient[];
}

export interface LogFileState {
  /** All scanned pages were 0xFF: the log was emptied (clean). */
  empty: boolean;
  pages: RestartPage[];
  /** The copy ntfs-3g would use (the larger current LSN). */
  current: RestartPage | null;
  clean: boolean;
  /** Restart page version 2.0: Windows kept metadata cached (fast startup). */
  cachedMetadata: boolean;
  /** Why it is not clean, in words. */
  reason: string;
}

function magicOf(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

/**
 * Decodes a restart page from `page` (its whole system page, fixups still applied).
 * @returns null when the page is not a valid restart page (as ntfs-3g's EINVAL: keep looking).
 */
export function decodeRestartPage(page: Uint8Array, offset: number): RestartPage | null {
  const magic = magicOf(page, 0);
  if (magic !== 'RSTR' && magic !== 'CHKD') return null;
  const v = viewOf(page);
  const systemPageSize = v.getUint32(16, true);
  const logPageSize = v.getUint32(20, true);
  const pow2 = (x: number): boolean => x >= 512 && (x & (x - 1)) === 0;
  if (!pow2(systemPageSize) || !pow2(logPageSize) || systemPageSize > page.length) return null;
  const minorVersion = v.getInt16(26, true);
  const majorVersion = v.getInt16(28, true);
  if (!((majorVersion === 1 && minorVersion === 1) || (majorVersion === 2 && minorVersion === 0))) return null;
  const raOffset = v.getUint16(24, true);
  const copy = page.slice(0, systemPageSize);
  try {
    removeFixups(copy, 512, offset);
  } catch {
    return null;
  }
  const c = viewOf(copy);
  if (raOffset & 7 || raOffset + 48 > 512) return null;
  const logClients = c.getUint16(raOffset + 8, true);
  const clientInUseList = c.getUint16(raOffset + 12, true);
  const arrayOffset = c.getUint16(raOffset + 22, true);
  const clients: LogClient[] = [];
  for (let i = 0; i < Math.min(logClients, 8); i++) {
    const at = raOffset + arrayOffset + i * 160;
    if (at + 160 > copy.length) return null;
    const nameLength = Math.min(c.getUint32(at + 28, true), 128);
    clients.push({ oldestLsn: c.getBigUint64(at, true), clientRestartLsn: c.getBigUint64(at + 8, true), name: utf16(copy, at + 32, nameLength >> 1) });
  }
  return {
    offset, magic, systemPageSize, logPageSize, majorVersion, minorVersion, chkdskLsn: c.getBigUint64(8, true),
    currentLsn: c.getBigUint64(raOffset, true), logClients, clientInUseList, flags: c.getUint16(raOffset + 14, true),
    fileSize: c.getBigInt64(raOffset + 24, true), clients,
  };
}

/**
 * Judges a $LogFile from a reader of its first bytes (`read(offset, length)`
 * over the $DATA stream of `size` bytes).
 * @throws CorruptError NTFS_LOGFILE_TOO_SMALL when it cannot hold two restart pages.
 */
export async function inspectLogFile(read: (offset: number, length: number) => Promise<Uint8Array>, size: number): Promise<LogFileState> {
  if (size < 8192) throw new CorruptError(`$LogFile of ${size} bytes is too small`, { code: 'NTFS_LOGFILE_TOO_SMALL', layer: 'ntfs-gates', details: { size } });
  const pages: RestartPage[] = [];
  let empty = true;
  for (let pos = 0; pos < Math.min(size, 1 << 20) && pages.length < 2; pos = pos === 0 ? 512 : pos * 2) {
    const head = await read(pos, 512);
    const m = viewOf(head).getUint32(0, true);
    if (m !== 0xffffffff) empty = false;
    else if (!empty) break;
    if (magicOf(head, 0) === 'RCRD') break;
    if (magicOf(head, 0) !== 'RSTR' && magicOf(head, 0) !== 'CHKD') continue;
    const sys = viewOf(head).getUint32(16, true);
    const length = sys >= 512 && sys <= 65536 && pos + sys <= size ? sys : 512;
    const page = decodeRestartPage(await read(pos, length), pos);
    if (page) pages.push(page);
  }
  if (empty) return { empty: true, pages, current: null, clean: true, cachedMetadata: false, reason: '$LogFile is empty (reset): clean' };
  if (!pages.length) return { empty: false, pages, current: null, clean: false, cachedMetadata: false, reason: '$LogFile holds no valid restart page and is not empty' };
  const current = pages.length === 2 && pages[1].currentLsn > pages[0].currentLsn ? pages[1] : pages[0];
  const open = current.clientInUseList !== LOGFILE_NO_CLIENT;
  const cleanFlag = (current.flags & RESTART_VOLUME_IS_CLEAN) !== 0;
  const clean = !open || cleanFlag;
  const cachedMetadata = current.majorVersion === 2 && current.minorVersion === 0;
  const ntfs = current.clients[0];
  const lag = ntfs && ntfs.clientRestartLsn !== current.currentLsn ? `; last checkpoint (client restart LSN) ${ntfs.clientRestartLsn} is behind the current LSN ${current.currentLsn}` : '';
  const reason = clean
    ? `restart area at 0x${current.offset.toString(16)} says clean (in-use list 0x${current.clientInUseList.toString(16)}, flags 0x${current.flags.toString(16)})${lag}`
    : `restart area at 0x${current.offset.toString(16)} has a client in use (list 0x${current.clientInUseList.toString(16)}) without RESTART_VOLUME_IS_CLEAN (flags 0x${current.flags.toString(16)}), current LSN ${current.currentLsn}${lag}`;
  return { empty: false, pages, current, clean, cachedMetadata, reason };
}

/** Builds a restart page (for tests and for documenting the layout): version 1.1, one "NTFS" client. */
export function encodeRestartPage(o: { systemPageSize?: number; currentLsn: bigint; clientInUseList: number; flags: number; clientRestartLsn?: bigint; major?: number; minor?: number; usn?: number }): Uint8Array {
  const size = o.systemPageSize ?? 4096;
  const p = new Uint8Array(size);
  const v = viewOf(p);
  p.set([0x52, 0x53, 0x54, 0x52], 0);
  const usaCount = size / 512 + 1;
  v.setUint16(4, 0x1e, true);
  v.setUint16(6, usaCount, true);
  v.setUint32(16, size, true);
  v.setUint32(20, 4096, true);
  const ra = (0x1e + usaCount * 2 + 7) & ~7;
  v.setUint16(24, ra, true);
  v.setInt16(26, o.minor ?? 1, true);
  v.setInt16(28, o.major ?? 1, true);
  v.setBigUint64(ra, o.currentLsn, true);
  v.setUint16(ra + 8, 1, true);
  v.setUint16(ra + 10, o.clientInUseList === LOGFILE_NO_CLIENT ? 0 : LOGFILE_NO_CLIENT, true);
  v.setUint16(ra + 12, o.clientInUseList, true);
  v.setUint16(ra + 14, o.flags, true);
  v.setUint32(ra + 16, 44, true);
  v.setUint16(ra + 20, 0x40 + 0xa0, true);
  v.setUint16(ra + 22, 0x40, true);
  v.setBigInt64(ra + 24, 0x400000n, true);
  v.setUint16(ra + 36, 0x30, true);
  v.setUint16(ra + 38, 0x40, true);
  const client = ra + 0x40;
  v.setBigUint64(client, o.clientRestartLsn ?? o.currentLsn, true);
  v.setBigUint64(client + 8, o.clientRestartLsn ?? o.currentLsn, true);
  v.setUint16(client + 16, LOGFILE_NO_CLIENT, true);
  v.setUint16(client + 18, LOGFILE_NO_CLIENT, true);
  v.setUint32(client + 28, 8, true);
  for (let i = 0; i < 4; i++) v.setUint16(client + 32 + 2 * i, 'NTFS'.charCodeAt(i), true);
  // Fixups: USN at the end of each sector, originals in the array.
  const usn = o.usn ?? 1;
  v.setUint16(0x1e, usn, true);
  for (let i = 1; i < usaCount; i++) {
    v.setUint16(0x1e + 2 * i, v.getUint16(i * 512 - 2, true), true);
    v.setUint16(i * 512 - 2, usn, true);
  }
  return p;
}
