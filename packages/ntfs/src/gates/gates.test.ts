import { describe, expect, it } from 'vitest';
import { decodeRestartPage, encodeRestartPage, inspectLogFile } from './logfile.js';
import { judgeHiberfile } from './hiberfile.js';

function logOf(pages: Uint8Array[], size = 65536): (o: number, l: number) => Promise<Uint8Array> {
  const bytes = new Uint8Array(size).fill(0xff);
  pages.forEach((p, i) => bytes.set(p, i * 4096));
  return async (o, l) => bytes.slice(o, o + l);
}

describe('$LogFile restart area', () => {
  it('treats an all-0xFF log as empty and clean (mkntfs, ntfs-3g reset)', async () => {
    expect(await inspectLogFile(logOf([]), 65536)).toMatchObject({ empty: true, clean: true });
  });
  it('is unclean when a client is in use without RESTART_VOLUME_IS_CLEAN', async () => {
    const p = encodeRestartPage({ currentLsn: 50n, clientInUseList: 0, flags: 0 });
    expect(await inspectLogFile(logOf([p, p]), 65536)).toMatchObject({ clean: false, cachedMetadata: false });
  });
  it('is clean when the clean flag is set or no client is in use', async () => {
    const a = encodeRestartPage({ currentLsn: 50n, clientInUseList: 0, flags: 2 });
    const b = encodeRestartPage({ currentLsn: 50n, clientInUseList: 0xffff, flags: 0 });
    expect((await inspectLogFile(logOf([a, a]), 65536)).clean).toBe(true);
    expect((await inspectLogFile(logOf([b, b]), 65536)).clean).toBe(true);
  });
  it('judges by the copy with the larger current LSN', async () => {
    const older = encodeRestartPage({ currentLsn: 10n, clientInUseList: 0, flags: 0 });
    const newer = encodeRestartPage({ currentLsn: 20n, clientInUseList: 0, flags: 2 });
    const s = await inspectLogFile(logOf([older, newer]), 65536);
    expect(s.current?.offset).toBe(4096);
    expect(s.clean).toBe(true);
  });
  it('flags version 2.0 pages as cached metadata (fast startup)', async () => {
    const p = encodeRestartPage({ currentLsn: 1n, clientInUseList: 0, flags: 2, major: 2, minor: 0 });
    expect((await inspectLogFile(logOf([p, p]), 65536)).cachedMetadata).toBe(true);
  });
  it('is unclean when the log is neither empty nor holds a valid restart page', async () => {
    const junk = new Uint8Array(4096).fill(0x41);
    expect((await inspectLogFile(logOf([junk]), 65536)).clean).toBe(false);
  });
  it('rejects unknown versions and torn pages as restart pages', () => {
    expect(decodeRestartPage(encodeRestartPage({ currentLsn: 1n, clientInUseList: 0, flags: 0, major: 3, minor: 0 }), 0)).toBeNull();
    const torn = encodeRestartPage({ currentLsn: 1n, clientInUseList: 0, flags: 0 });
    torn[1022] ^= 1;
    expect(decodeRestartPage(torn, 0)).toBeNull();
  });
  it('refuses a log too small for two restart pages', async () => {
    await expect(inspectLogFile(logOf([], 4096), 4096)).rejects.toMatchObject({ code: 'NTFS_LOGFILE_TOO_SMALL' });
  });
});

describe('hiberfil.sys header', () => {
  const head = (s: string): Uint8Array => { const b = new Uint8Array(4096); b.set(new TextEncoder().encode(s)); return b; };
  it.each(['hibr', 'HIBR', 'RSTR', 'rstr'])('"%s" is hibernated', (s) => expect(judgeHiberfile(head(s), 1 << 20).hibernated).toBe(true));
  it.each(['wake', '\0\0\0\0'])('"%s" is not', (s) => expect(judgeHiberfile(head(s), 1 << 20).hibernated).toBe(false));
  it('a file shorter than 4096 bytes counts as hibernated, as in ntfs-3g', () => expect(judgeHiberfile(head('wake').subarray(0, 100), 100).hibernated).toBe(true));
});
