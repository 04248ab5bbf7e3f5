/**
 * Safety gates before any write, after ntfs-3g's mount checks (volume.c:
 * ntfs_volume_check_hiberfile, ntfs_volume_check_logfile) and the $Volume
 * flags Windows keeps:
 *  - logfile-unclean: $LogFile has transactions Windows has not checkpointed;
 *    writing beside them and letting Windows replay the log later can undo or
 *    scramble our changes and its own;
 *  - volume-dirty: VOLUME_IS_DIRTY in $VOLUME_INFORMATION (chkdsk pending);
 *  - hibernated: hiberfil.sys holds a hibernation image (its header says a
 *    hibernated session is held): on resume Windows writes its cached view back
 *    over ours. A version 2.0 restart page is not hibernation: Windows 8 and
 *    later run every mounted volume at 2.0, so a crashed one (the CrowdStrike
 *    boot loop) carries it; an unclean 2.0 journal is the logfile-unclean gate's;
 *  - unknown-version: an NTFS version other than 3.0/3.1.
 */
import { PreconditionError, isWritable, type WritableByteSource } from '@coldfix/io';
import { RecordStore } from '../record/record-store.js';
import { AttrType, residentValue } from '../record/record-bytes.js';
import { attributeData } from '../record/attribute-data.js';
import { WriteTxn } from '../write/txn.js';
import { resolvePath } from '../write/resolve-path.js';
import { recordStoreOf, sourceOf, type VolumeInput } from '../record/volume-source.js';
import { inspectLogFile } from './logfile.js';
import { HIBERFILE_HEADER_SIZE, judgeHiberfile } from './hiberfile.js';

export type GateName = 'logfile-unclean' | 'volume-dirty' | 'hibernated' | 'unknown-version';
export interface GateFinding { gate: GateName; message: string; risk: string }

export const VOLUME_IS_DIRTY = 0x0001;
const LAYER = 'ntfs-gates';

const RISK: Record<GateName, string> = {
  'logfile-unclean': 'Windows will replay its pending $LogFile transactions at the next mount; they were written against the old state and can undo or corrupt the delete and other metadata. --force-unclean-log resets $LogFile (as ntfs-3g does), discarding those transactions: changes Windows had not checkpointed are lost.',
  'volume-dirty': 'Windows marked the volume as possibly corrupt (chkdsk pending); writing into inconsistent metadata can spread the damage. Run chkdsk first.',
  hibernated: 'Windows holds this volume\'s metadata in memory (hibernation or fast startup); when it resumes it writes that stale view back, losing our changes and possibly corrupting the volume. Boot Windows and shut down fully (fast startup off), or delete hiberfil.sys only if the hibernated session may be discarded.',
  'unknown-version': 'structures of an NTFS version coldfix does not know may be laid out or linked differently; writing could corrupt them.',
};

/** Reads the volume state each gate judges. Read-only. */
export async function checkWriteGates(volume: VolumeInput): Promise<GateFinding[]> {
  const vol = await recordStoreOf(volume);
  const findings: GateFinding[] = [];
  const add = (gate: GateName, message: string): void => void findings.push({ gate, message, risk: RISK[gate] });

  // $Volume (record 3): version and flags.
  const volInfo = (await vol.extents(3)).find((x) => x.attr.type === AttrType.volumeInformation && !x.attr.nonResident);
  if (!volInfo || volInfo.attr.valueLength < 12) {
    add('unknown-version', '$Volume has no $VOLUME_INFORMATION: the NTFS version cannot be established');
  } else {
    const value = residentValue(volInfo.rec, volInfo.attr);
    const major = value[8];
    const minor = value[9];
    const flags = value[10] | (value[11] << 8);
    if (!(major === 3 && (minor === 0 || minor === 1))) add('unknown-version', `NTFS version ${major}.${minor} is not 3.0 or 3.1`);
    if (flags & VOLUME_IS_DIRTY) add('volume-dirty', `$Volume flags 0x${flags.toString(16)} have VOLUME_IS_DIRTY (0x1) set`);
  }

  // $LogFile (record 2).
  const log = attributeData(vol, await vol.extents(2), AttrType.data);
  const state = await inspectLogFile((o, l) => log.read(o, l), log.size);
  if (!state.clean) add('logfile-unclean', `$LogFile is unclean: ${state.reason}`);

  // /hiberfil.sys.
  const txn = new WriteTxn(vol);
  let hiber: number | null = null;
  try {
    hiber = (await resolvePath(txn, '/hiberfil.sys', await vol.upcase())).record;
  } catch (e) {
    if ((e as { kind?: string }).kind !== 'not-found') throw e;
  }
  if (hiber !== null) {
    const data = attributeData(vol, await vol.extents(hiber), AttrType.data);
    const header = await data.read(0, HIBERFILE_HEADER_SIZE);
    const verdict = judgeHiberfile(header, data.size);
    if (verdict.hibernated) add('hibernated', verdict.reason);
  }
  return findings;
}

/**
 * Refuses (PreconditionError NTFS_GATE_<GATE>) unless every gate passes or is
 * overridden. Only 'logfile-unclean' can be overridden (`forceUncleanLog`);
 * the caller must then call `resetLogFile` before writing, and say so in its report.
 */
export async function assertWritable(volume: VolumeInput, overrides: { forceUncleanLog?: boolean } = {}): Promise<{ overridden: GateFinding[] }> {
  const findings = await checkWriteGates(volume);
  const overridden = findings.filter((f) => f.gate === 'logfile-unclean' && overrides.forceUncleanLog);
  const blocking = findings.filter((f) => !overridden.includes(f));
  if (blocking.length) {
    const f = blocking[0];
    throw new PreconditionError(`refusing to write: ${f.message}. Risk: ${f.risk}`, {
      code: `NTFS_GATE_${f.gate.toUpperCase().replace(/-/g, '_')}`, layer: LAYER,
      details: { findings: blocking.map((x) => ({ gate: x.gate, message: x.message, risk: x.risk })) },
    });
  }
  return { overridden };
}

/**
 * What --force-unclean-log does, as ntfs-3g's ntfs_logfile_reset /
 * ntfs_empty_logfile: every byte of $LogFile's $DATA becomes 0xFF, so Windows
 * sees an empty log and starts a new one (pending transactions are discarded).
 * @throws PreconditionError NTFS_NOT_WRITABLE on a read-only source.
 */
export async function resetLogFile(volume: VolumeInput): Promise<void> {
  const source = sourceOf(volume);
  if (!isWritable(source)) throw new PreconditionError('the volume was opened read-only', { code: 'NTFS_NOT_WRITABLE', layer: LAYER });
  const vol = await RecordStore.open(source);
  const log = attributeData(vol, await vol.extents(2), AttrType.data);
  if (log.resident) throw new PreconditionError('$LogFile $DATA is resident', { code: 'NTFS_LOGFILE_RESIDENT', layer: LAYER });
  const chunk = 1 << 20;
  const ff = new Uint8Array(chunk).fill(0xff);
  for (let at = 0; at < log.size; at += chunk) {
    const len = Math.min(chunk, log.size - at);
    let off = 0;
    for (const p of vol.streamPieces(log.runs, at, len)) {
      if (p.device >= 0) await (source as WritableByteSource).write(p.device, ff.subarray(off, off + p.length));
      off += p.length;
    }
  }
  await (source as WritableByteSource).flush();
}
