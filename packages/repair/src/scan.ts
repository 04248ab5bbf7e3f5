/**
 * Scanning an opened image: every readable NTFS volume, its Windows
 * installations, and the files each rule matches there.
 */
import { mapLimit, NotFoundError } from '@coldfix/io';
import { ROOT_RECORD, type NtfsVolume } from '@coldfix/ntfs';
import type { OpenedImage, VolumeEntry } from '@coldfix/volumes';
import { evaluateHit, type Match } from './evaluate.js';
import { phase } from './phases.js';
import { findPathHits } from './find-matches.js';
import { findWindowsInstallations, type WindowsInstallation } from './find-windows.js';
import type { VolumeReport } from './report.js';
import type { Rule } from './rules/rule.js';

export interface ScannedVolume {
  entry: VolumeEntry;
  report: VolumeReport;
  /** The Windows installations the rules' %SystemRoot% paths were expanded from. */
  installations: WindowsInstallation[];
}

export interface ScanOptions {
  rules: Rule[];
  onlyBad?: boolean;
  /** Restrict to one partition. */
  partition?: number;
  /**
   * partition → installations an earlier scan of the same image found (a repair's verification):
   * each is confirmed by one lookup of its name in the root (same record, a directory) instead of
   * listing the root and probing every folder for System32; any that does not confirm means a full
   * discovery. The write only touches the matches' directories, which the scoped check covers.
   */
  installations?: Map<number, WindowsInstallation[]>;
}

/**
 * Whether scanImage scans this volume entry: an NTFS volume with a readable device (an unlocked
 * BitLocker volume, or a plain one). The one test, shared with the verification, which must agree
 * with the scan on which volumes it sees.
 */
export function isScannable(entry: VolumeEntry): boolean {
  return entry.content === 'ntfs' && entry.device !== undefined;
}

export async function scanImage(opened: OpenedImage, options: ScanOptions): Promise<ScannedVolume[]> {
  const out: ScannedVolume[] = [];
  // A partition asked for must exist and hold NTFS (the typed errors `ls --partition` gives), or the
  // loop below would skip it and the caller answer `clean` for a volume nobody read.
  if (options.partition !== undefined) await opened.ntfs(options.partition);
  for (const entry of opened.volumes) {
    if (options.partition !== undefined && entry.partition !== options.partition) continue;
    // A locked BitLocker volume is an error for the repair: the operator must be told which key to fetch.
    if (entry.bitlocker && !entry.bitlocker.unlocked) await opened.ntfs(entry.partition);
    if (!isScannable(entry)) continue;
    phase('s-ntfs');
    const volume = await opened.ntfs(entry.partition);
    const scanned = await scanVolumeWithInstallations(volume, entry, options);
    out.push({ entry, ...scanned });
  }
  if (out.length === 0) throw nothingToScan(opened);
  return out;
}

export async function scanVolume(volume: NtfsVolume, entry: VolumeEntry, options: ScanOptions): Promise<VolumeReport> {
  return (await scanVolumeWithInstallations(volume, entry, options)).report;
}

async function scanVolumeWithInstallations(volume: NtfsVolume, entry: VolumeEntry, options: ScanOptions): Promise<{ report: VolumeReport; installations: WindowsInstallation[] }> {
  phase('s-windows');
  const known = options.installations?.get(entry.partition);
  const installations = (known && (await confirmInstallations(volume, known))) ?? (await findWindowsInstallations(volume));
  phase('s-hits');
  const matches: Match[] = [];
  for (const rule of options.rules) {
    const hits = await findPathHits(volume, rule, installations);
    phase('s-eval');
    // A few at a time: each waits on reads of its own record and content (order kept).
    const evaluated = await mapLimit(hits, EVALUATE_CONCURRENCY, (hit) => evaluateHit(volume, rule, hit, options.onlyBad ?? false));
    for (const match of evaluated) if (match && !matches.some((m) => m.record === match.record)) matches.push(match);
  }
  const report: VolumeReport = {
    partition: entry.partition,
    bitlocker: entry.bitlocker
      ? { volumeGuid: entry.bitlocker.info.volumeGuid, method: entry.bitlocker.info.method, protectorUsed: entry.bitlocker.protectorUsed }
      : null,
    windows: installations.map((i) => i.path),
    matches,
    gates: [],
    check: null,
  };
  noteSkipped(volume, report);
  return { report, installations };
}

/** `known`, when each is still a directory of that record under that name in the root; else null. */
async function confirmInstallations(volume: NtfsVolume, known: WindowsInstallation[]): Promise<WindowsInstallation[] | null> {
  for (const installation of known) {
    const name = installation.path.replace(/^\\/, '');
    if (name === '' || name.includes('\\')) return null;
    const entry = await volume.lookup(ROOT_RECORD, name);
    if (!entry?.isDirectory || entry.recordNumber !== installation.recordNumber) return null;
  }
  return known;
}

/** Records in `report` what `volume` could not read so far (the scan's lookups, a check): the answer is then not complete. */
export function noteSkipped(volume: NtfsVolume, report: VolumeReport): void {
  if (volume.skippedCount === 0) return;
  report.skipped = { count: volume.skippedCount, items: volume.skipped.slice(0, 20).map((i) => `${i.kind} (record ${i.record}): ${i.message}`) };
}

/** No NTFS volume was read: a verify or repair of this image examined nothing, which is not `clean`. */
function nothingToScan(opened: OpenedImage): NotFoundError {
  const listing = opened.volumes.map((v) => `${v.partition}:${v.content}`).join(', ');
  return new NotFoundError(`${opened.path}: no NTFS volume to examine (volumes: ${listing || 'none: no partition table and no file system recognised'}); nothing was verified`, {
    code: 'VOLUME_NO_NTFS',
    layer: 'repair',
    details: { volumes: listing },
  });
}

/** Matches the repair acts on (delete or quarantine). */
export function actionable(matches: Match[]): Match[] {
  return matches.filter((m) => m.action === 'delete' || m.action === 'quarantine');
}

const EVALUATE_CONCURRENCY = 4;
