/**
 * Write gates on crafted volumes, each state confirmed by ntfs-3g itself
 * (it refuses a read-write mount of an unclean or hibernated volume), and
 * the override (resetLogFile) leaving a volume ntfs-3g mounts read-write.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PreconditionError, WritableFileSource } from '@coldfix/io';
import { assertWritable, checkWriteGates, resetLogFile } from '../src/gates/write-gates.js';
import { encodeRestartPage } from '../src/gates/logfile.js';
import { RecordStore } from '../src/record/record-store.js';
import { attributeData } from '../src/record/attribute-data.js';
import { AttrType, listAttributes, residentValue } from '../src/record/record-bytes.js';
import { WriteTxn } from '../src/write/txn.js';
import { resolvePath } from '../src/write/resolve-path.js';
import { deleteFile } from '../src/write/delete-file.js';
import { buildVolume, copyVolume, mountScript } from './write-fixtures.js';

const TREE = String.raw`echo x > a.txt; echo y > b.txt; { printf wake; head -c 12284 /dev/zero; } > hiberfil.sys`;

/** ntfs-3g's verdict on a read-write mount: its stderr when it refuses, '' when it mounted rw. */
function ntfs3gRefusal(img: string): string {
  const r = spawnSync('bash', ['-c', mountScript(img, 'touch probe-rw && rm probe-rw', 'rw,norecover')], { encoding: 'utf8' });
  return r.status === 0 ? '' : `${r.stderr}${r.stdout}`.trim() || `exit ${r.status}`;
}
function ntfs3gStderr(img: string): string {
  // norecover: ntfs-3g would otherwise "fix" (reset) an unclean log itself.
  const r = spawnSync('bash', ['-c', `M=$(mktemp -d); timeout 20 ntfs-3g -o no_detach,rw,norecover "${img}" "$M" & P=$!; sleep 1.5; mountpoint -q "$M" && umount "$M"; wait $P; rmdir "$M"`], { encoding: 'utf8' });
  return `${r.stderr}${r.stdout}`;
}

async function withSource<T>(path: string, fn: (s: WritableFileSource) => Promise<T>): Promise<T> {
  const s = await WritableFileSource.openWritable(path);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

async function writeLog(path: string, pages: Uint8Array[]): Promise<void> {
  await withSource(path, async (s) => {
    const vol = await RecordStore.open(s);
    const log = attributeData(vol, await vol.extents(2), AttrType.data);
    for (const [i, page] of pages.entries()) {
      let at = 0;
      for (const p of vol.streamPieces(log.runs, i * 4096, 4096)) {
        await s.write(p.device, page.subarray(at, at + p.length));
        at += p.length;
      }
    }
  });
}

async function setVolumeFlags(path: string, flags: number): Promise<void> {
  await withSource(path, async (s) => {
    const txn = new WriteTxn(await RecordStore.open(s));
    const rec = await txn.record(3);
    const a = listAttributes(rec, 3).find((x) => x.type === AttrType.volumeInformation)!;
    const v = residentValue(rec, a);
    v[10] = flags & 0xff;
    v[11] = flags >> 8;
    txn.touchRecord(3);
    await txn.commit(s, false);
  });
}

async function setHiberSignature(path: string, sig: string): Promise<void> {
  await withSource(path, async (s) => {
    const vol = await RecordStore.open(s);
    const { record } = await resolvePath(new WriteTxn(vol), '/hiberfil.sys', await vol.upcase());
    const data = attributeData(vol, await vol.extents(record), AttrType.data);
    const [p] = vol.streamPieces(data.runs, 0, 4);
    await s.write(p.device, new TextEncoder().encode(sig));
  });
}

describe('write gates', () => {
  let base: string;
  let work: { path: string; dispose: () => void } | undefined;
  beforeAll(() => {
    base = buildVolume('gates', { sizeMiB: 32, tree: TREE });
  });
  afterEach(() => work?.dispose());

  it('passes a freshly made volume (empty $LogFile, clean flags, hiberfil.sys "wake"), as ntfs-3g mounts it read-write', async () => {
    work = copyVolume(base);
    expect(await withSource(work.path, (s) => checkWriteGates(s))).toEqual([]);
    expect(ntfs3gRefusal(work.path)).toBe('');
  });

  it('refuses an unclean $LogFile (client in use, no clean flag) with NTFS_GATE_LOGFILE_UNCLEAN; ntfs-3g agrees', async () => {
    work = copyVolume(base);
    const page = encodeRestartPage({ currentLsn: 0x1234n, clientInUseList: 0, flags: 0, clientRestartLsn: 0x1000n });
    await writeLog(work.path, [page, page]);
    expect(ntfs3gStderr(work.path)).toMatch(/unclean file system \(0, 0\)/);
    const findings = await withSource(work.path, (s) => checkWriteGates(s));
    expect(findings.map((f) => f.gate)).toEqual(['logfile-unclean']);
    expect(findings[0].message).toMatch(/client in use.*current LSN 4660.*behind/);
    const err = await withSource(work.path, (s) => assertWritable(s)).catch((e) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect(err.code).toBe('NTFS_GATE_LOGFILE_UNCLEAN');
    expect(err.message).toMatch(/Risk: Windows will replay/);
    await expect(withSource(work.path, (s) => deleteFile(s, '/a.txt', { dryRun: true }))).resolves.toBeTruthy();
    // The override: judged, overridden, then reset as ntfs-3g does; afterwards ntfs-3g mounts it read-write.
    const { overridden } = await withSource(work.path, (s) => assertWritable(s, { forceUncleanLog: true }));
    expect(overridden.map((f) => f.gate)).toEqual(['logfile-unclean']);
    // ntfs-3g's own recovery of the same state, for comparison: its $LogFile bytes must equal ours.
    const theirs = copyVolume(work.path);
    try {
      spawnSync('bash', ['-c', mountScript(theirs.path, 'true', 'rw')]);
      await withSource(work.path, (s) => resetLogFile(s));
      const logBytes = (p: string) => withSource(p, async (s) => {
        const vol = await RecordStore.open(s);
        const log = attributeData(vol, await vol.extents(2), AttrType.data);
        return log.read(0, log.size);
      });
      const [ours, ref] = [await logBytes(work.path), await logBytes(theirs.path)];
      expect(ours.every((b) => b === 0xff)).toBe(true);
      expect(Buffer.compare(Buffer.from(ours), Buffer.from(ref))).toBe(0);
    } finally {
      theirs.dispose();
    }
    expect(await withSource(work.path, (s) => checkWriteGates(s))).toEqual([]);
    expect(ntfs3gRefusal(work.path)).toBe('');
  });

  it('accepts a restart area that is open but flagged clean (what Windows writes on a clean shutdown)', async () => {
    work = copyVolume(base);
    const page = encodeRestartPage({ currentLsn: 0x1234n, clientInUseList: 0, flags: 2 });
    await writeLog(work.path, [page, page]);
    expect(await withSource(work.path, (s) => checkWriteGates(s))).toEqual([]);
    expect(ntfs3gRefusal(work.path)).toBe('');
  });

  it('uses the restart page with the larger current LSN, as ntfs-3g does', async () => {
    work = copyVolume(base);
    const clean = encodeRestartPage({ currentLsn: 0x100n, clientInUseList: 0, flags: 2 });
    const unclean = encodeRestartPage({ currentLsn: 0x200n, clientInUseList: 0, flags: 0 });
    await writeLog(work.path, [clean, unclean]);
    expect((await withSource(work.path, (s) => checkWriteGates(s))).map((f) => f.gate)).toEqual(['logfile-unclean']);
    expect(ntfs3gStderr(work.path)).toMatch(/unclean file system/);
  });

  it('does not take a version 2.0 restart page for hibernation: clean it passes, unclean it is logfile-unclean (ntfs-3g refuses both: "Metadata kept in Windows cache")', async () => {
    work = copyVolume(base);
    const clean = encodeRestartPage({ currentLsn: 0x1234n, clientInUseList: 0, flags: 2, major: 2, minor: 0 });
    await writeLog(work.path, [clean, clean]);
    expect(ntfs3gStderr(work.path)).toMatch(/Metadata kept in Windows cache/);
    expect(await withSource(work.path, (s) => checkWriteGates(s))).toEqual([]);
    const unclean = encodeRestartPage({ currentLsn: 0x1234n, clientInUseList: 0, flags: 0, major: 2, minor: 0 });
    await writeLog(work.path, [unclean, unclean]);
    expect((await withSource(work.path, (s) => checkWriteGates(s))).map((f) => f.gate)).toEqual(['logfile-unclean']);
    const err = await withSource(work.path, (s) => assertWritable(s)).catch((e) => e);
    expect(err.code).toBe('NTFS_GATE_LOGFILE_UNCLEAN');
  });

  it('refuses the dirty flag with NTFS_GATE_VOLUME_DIRTY', async () => {
    work = copyVolume(base);
    await setVolumeFlags(work.path, 0x0001);
    const findings = await withSource(work.path, (s) => checkWriteGates(s));
    expect(findings.map((f) => f.gate)).toEqual(['volume-dirty']);
    const err = await withSource(work.path, (s) => assertWritable(s, { forceUncleanLog: true })).catch((e) => e);
    expect(err.code).toBe('NTFS_GATE_VOLUME_DIRTY');
    const info = spawnSync('ntfsinfo', ['-m', work.path], { encoding: 'utf8' });
    expect(`${info.stdout}${info.stderr}`).toMatch(/Volume is scheduled for check/);
  });

  it.each(['hibr', 'HIBR'])('refuses hiberfil.sys starting with "%s" (ntfs-3g: Windows is hibernated)', async (sig) => {
    work = copyVolume(base);
    await setHiberSignature(work.path, sig);
    expect(ntfs3gStderr(work.path)).toMatch(/Windows is hibernated, refused to mount/);
    const err = await withSource(work.path, (s) => assertWritable(s, { forceUncleanLog: true })).catch((e) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect(err.code).toBe('NTFS_GATE_HIBERNATED');
    expect(err.details.findings[0].message).toMatch(new RegExp(`starts with "${sig}"`));
  });

  it('refuses to delete NTFS metadata ($MFT, files under $Extend)', async () => {
    work = copyVolume(base);
    for (const p of ['/$MFT', '/$Extend/$Quota', '/$extend/$ObjId']) {
      await expect(withSource(work.path, (s) => deleteFile(s, p))).rejects.toMatchObject({ code: 'NTFS_DELETE_SYSTEM_FILE' });
    }
  });

  it('refuses an NTFS version other than 3.0/3.1', async () => {
    work = copyVolume(base);
    await withSource(work.path, async (s) => {
      const txn = new WriteTxn(await RecordStore.open(s));
      const rec = await txn.record(3);
      const a = listAttributes(rec, 3).find((x) => x.type === AttrType.volumeInformation)!;
      residentValue(rec, a)[8] = 4;
      txn.touchRecord(3);
      await txn.commit(s, false);
    });
    expect((await withSource(work.path, (s) => checkWriteGates(s))).map((f) => f.gate)).toEqual(['unknown-version']);
  });
});
