/**
 * Verification: reopen the image from scratch through the whole stack and
 * prove the repair: no actionable match left, each touched volume consistent
 * (checkVolume), the other entries of each touched directory intact, and the
 * BitLocker metadata byte-identical to before.
 */
import { createHash } from 'node:crypto';
import { allSettledOrThrow, RangeSource } from '@coldfix/io';
import { checkScope, checkVolume, type CheckScope, type NtfsVolume } from '@coldfix/ntfs';
import { openImage, type OpenImageOptions, type OpenedImage, type VolumeEntry } from '@coldfix/volumes';
import type { VolumeReport } from './report.js';
import { actionable, isScannable, noteSkipped, scanImage, type ScanOptions } from './scan.js';
import { clearPhases, phase } from './phases.js';
import type { WindowsInstallation } from './find-windows.js';

/** `incomplete`: no match and no finding, but parts of a volume could not be read: not verified clean. */
export type VerifyResult = 'clean' | 'affected' | 'inconsistent' | 'incomplete';

export interface VerifyReport {
  image: string;
  result: VerifyResult;
  volumes: VolumeReport[];
  details: string[];
  bytesRead: number;
}

/** What the image looked like before the write, to compare with after it. */
export interface Baseline {
  /** partition → directory record → "name|record|sequence" entries before the write. */
  directories: Map<number, Map<number, Set<string>>>;
  /** partition → sha256 of the FVE metadata blocks. */
  bitlockerMetadata: Map<number, string>;
  /** partition → records that were deleted. */
  deleted: Map<number, Set<number>>;
  /** partition → consistency findings the volume had before the write (see findingKey), over the same scope. */
  findings: Map<number, Set<string>>;
  /**
   * partition → what the write touches, when the check is scoped to it (checkScope, the default of a
   * repair); absent for a partition: that partition gets the full checkVolume (`--full-check`).
   */
  scopes: Map<number, CheckScope>;
  /** Check every volume in full (checkVolume), touched or not, as before the scoped check existed. */
  fullCheck: boolean;
  /** partition → Windows installations the plan found (confirmed again by the verification, see ScanOptions). */
  installations?: Map<number, WindowsInstallation[]>;
}

/** Identity of a consistency finding, to tell pre-existing findings from new ones. */
export function findingKey(finding: { code: string; message: string }): string {
  return `${finding.code}\u0000${finding.message}`;
}

export async function verifyImage(path: string, open: OpenImageOptions, scan: ScanOptions, baseline?: Baseline): Promise<VerifyReport> {
  if (!baseline) clearPhases(); // standalone (`coldfix verify`); a repair's verification keeps the repair's marks
  const opened = await openImage(path, { ...open, writable: false });
  try {
    phase('v-scan');
    // A scoped repair's checks need only the volume, not the scan's result: they run beside the scan,
    // so that their reads overlap (everything settles before an error is passed on).
    // Only for volumes the scan will see (the same test): a check nobody awaits would fail unseen.
    const early = new Map<number, Promise<VolumeVerdict>>();
    if (baseline && !baseline.fullCheck) {
      for (const [partition, scope] of baseline.scopes) {
        const entry = opened.volumes.find((v) => v.partition === partition);
        if (entry && isScannable(entry)) early.set(partition, volumeVerdict(opened, entry, scope, baseline));
      }
    }
    const scanning = scanImage(opened, baseline?.installations ? { ...scan, installations: baseline.installations } : scan);
    const [scanned] = await allSettledOrThrow([scanning, ...early.values()]);
    phase('v-check');
    const details: string[] = [];
    let inconsistent = false;
    for (const { entry, report } of scanned) {
      const scope = baseline?.scopes.get(entry.partition);
      // A scoped repair checks what it touched; volumes it did not write are left to `coldfix verify`.
      if (baseline && !baseline.fullCheck && !scope) continue;
      const verdict = await (early.get(entry.partition) ?? volumeVerdict(opened, entry, baseline?.fullCheck ? undefined : scope, baseline));
      report.check = verdict.check;
      if (verdict.inconsistent) inconsistent = true;
      details.push(...verdict.details);
    }
    // A volume the repair wrote must still be one the scan reads: else nothing above checked it (its
    // boot sector or its BitLocker metadata no longer says NTFS), and `clean` would be a lie.
    for (const partition of baseline?.deleted.keys() ?? []) {
      if (scanned.some((s) => s.entry.partition === partition)) continue;
      inconsistent = true;
      details.push(`partition ${partition}: written by the repair, but no longer a readable NTFS volume`);
    }
    const affected = scanned.some(({ report }) => actionable(report.matches).length > 0);
    // A volume read incompletely (records, index blocks or directories skipped, by the scan or the check) is not verified.
    let incomplete = false;
    for (const { entry, report } of scanned) {
      noteSkipped(await opened.ntfs(entry.partition), report);
      if (!report.skipped) continue;
      incomplete = true;
      details.push(`partition ${entry.partition}: ${report.skipped.count} item(s) could not be read (${report.skipped.items[0]}); not verified`);
    }
    return {
      image: opened.path,
      result: inconsistent ? 'inconsistent' : affected ? 'affected' : incomplete ? 'incomplete' : 'clean',
      volumes: scanned.map((s) => s.report),
      details,
      bytesRead: opened.ioStats().bytesRead,
    };
  } finally {
    await opened.close();
  }
}

interface VolumeVerdict {
  check: NonNullable<VolumeReport['check']>;
  inconsistent: boolean;
  details: string[];
}

/** The consistency check of one volume (scoped when `scope` is given) and, with a baseline, the comparisons. */
async function volumeVerdict(opened: OpenedImage, entry: VolumeEntry, scope: CheckScope | undefined, baseline: Baseline | undefined): Promise<VolumeVerdict> {
  const volume = await opened.ntfs(entry.partition);
  const details: string[] = [];
  let inconsistent = false;
  const check = scope ? await checkScope(volume, scope) : await checkVolume(volume);
  const before = baseline?.findings.get(entry.partition);
  const introduced = before ? check.findings.filter((f) => !before.has(findingKey(f))) : check.findings;
  const preexisting = check.findings.length - introduced.length;
  const report: VolumeVerdict['check'] = {
    clean: check.clean,
    scope: scope ? 'touched' : 'volume',
    findings: check.findings.map((f) => ({ code: f.code, message: f.message, records: f.records })),
    ...(before ? { preexisting } : {}),
  };
  if (introduced.length) {
    inconsistent = true;
    details.push(`partition ${entry.partition}: ${introduced.length} consistency finding(s)${before ? ' introduced by the write' : ''}`);
  }
  if (preexisting) details.push(`partition ${entry.partition}: ${preexisting} consistency finding(s) already present before the repair (left as they were)`);
  if (report.scope === 'touched') details.push(`partition ${entry.partition}: consistency checked over what the repair touched (its directories, records and clusters, $MFTMirr); \`coldfix verify\` or --full-check checks the whole volume`);
  if (baseline) {
    const problems = [...(await compareDirectories(volume, baseline, entry.partition)), ...(await compareBitLocker(opened, entry, baseline))];
    if (problems.length) inconsistent = true;
    details.push(...problems.map((p) => `partition ${entry.partition}: ${p}`));
  }
  return { check: report, inconsistent, details };
}

/**
 * Lists a directory as a set of "record|sequence|name" strings. The name goes last: names from an
 * image may hold `|` (legal for ntfs-3g), so only the two numbers are split off.
 */
export async function directorySnapshot(volume: NtfsVolume, directoryRecord: number): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const entry of volume.readdir(directoryRecord)) out.add(`${entry.recordNumber}|${entry.sequence}|${entry.name}`);
  return out;
}

/** sha256 over the FVE metadata blocks (64 KiB at each offset) of a BitLocker partition. */
export async function bitlockerMetadataHash(opened: OpenedImage, entry: VolumeEntry): Promise<string | null> {
  if (!entry.bitlocker) return null;
  const raw = new RangeSource(opened.cached, entry.offset, entry.size, `partition ${entry.partition}`);
  const hash = createHash('sha256');
  for (const offset of entry.bitlocker.info.metadataOffsets) {
    const length = Math.max(0, Math.min(64 * 1024, raw.size - offset));
    if (length > 0) hash.update(await raw.read(offset, length));
  }
  hash.update(await raw.read(0, Math.min(512, raw.size)));
  return hash.digest('hex');
}

async function compareDirectories(volume: NtfsVolume, baseline: Baseline, partition: number): Promise<string[]> {
  const problems: string[] = [];
  const deleted = baseline.deleted.get(partition) ?? new Set<number>();
  for (const [directory, before] of baseline.directories.get(partition) ?? []) {
    const after = await directorySnapshot(volume, directory);
    for (const item of before) {
      const { record, name } = parseSnapshotItem(item);
      if (deleted.has(record)) {
        if (after.has(item)) problems.push(`directory ${directory} still lists deleted record ${record}`);
      } else if (!after.has(item)) {
        problems.push(`directory ${directory} lost entry ${JSON.stringify(name)} (record ${record})`);
      }
    }
    for (const item of after) if (!before.has(item)) problems.push(`directory ${directory} gained entry ${JSON.stringify(parseSnapshotItem(item).name)}`);
  }
  return problems;
}

async function compareBitLocker(opened: OpenedImage, entry: VolumeEntry, baseline: Baseline): Promise<string[]> {
  const before = baseline.bitlockerMetadata.get(entry.partition);
  if (before === undefined) return [];
  const after = await bitlockerMetadataHash(opened, entry);
  return after === before ? [] : ['BitLocker metadata changed'];
}

function parseSnapshotItem(item: string): { record: number; name: string } {
  const first = item.indexOf('|');
  const second = item.indexOf('|', first + 1);
  return { record: Number(item.slice(0, first)), name: item.slice(second + 1) };
}
