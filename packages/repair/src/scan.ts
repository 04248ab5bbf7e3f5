/**
 * Scanning an opened image: every readable NTFS volume, its Windows
 * installations, and the files each rule matches there.
 */
import type { NtfsVolume } from '@coldfix/ntfs';
import type { OpenedImage, VolumeEntry } from '@coldfix/volumes';
import { evaluateHit, type Match } from './evaluate.js';
import { findPathHits } from './find-matches.js';
import { findWindowsInstallations } from './find-windows.js';
import type { VolumeReport } from './report.js';
import type { Rule } from './rules/rule.js';

export interface ScannedVolume {
  entry: VolumeEntry;
  report: VolumeReport;
}

export interface ScanOptions {
  rules: Rule[];
  onlyBad?: boolean;
  /** Restrict to one partition. */
  partition?: number;
}

export async function scanImage(opened: OpenedImage, options: ScanOptions): Promise<ScannedVolume[]> {
  const out: ScannedVolume[] = [];
  for (const entry of opened.volumes) {
    if (options.partition !== undefined && entry.partition !== options.partition) continue;
    // A locked BitLocker volume is an error for the repair: the operator must be told which key to fetch.
    if (entry.bitlocker && !entry.bitlocker.unlocked) await opened.ntfs(entry.partition);
    if (entry.content !== 'ntfs' || !entry.device) continue;
    const volume = await opened.ntfs(entry.partition);
    out.push({ entry, report: await scanVolume(volume, entry, options) });
  }
  return out;
}

export async function scanVolume(volume: NtfsVolume, entry: VolumeEntry, options: ScanOptions): Promise<VolumeReport> {
  const installations = await findWindowsInstallations(volume);
  const matches: Match[] = [];
  for (const rule of options.rules) {
    for (const hit of await findPathHits(volume, rule, installations)) {
      const match = await evaluateHit(volume, rule, hit, options.onlyBad ?? false);
      if (match && !matches.some((m) => m.record === match.record)) matches.push(match);
    }
  }
  return {
    partition: entry.partition,
    bitlocker: entry.bitlocker
      ? { volumeGuid: entry.bitlocker.info.volumeGuid, method: entry.bitlocker.info.method, protectorUsed: entry.bitlocker.protectorUsed }
      : null,
    windows: installations.map((i) => i.path),
    matches,
    gates: [],
    check: null,
  };
}

/** Matches the repair acts on (delete or quarantine). */
export function actionable(matches: Match[]): Match[] {
  return matches.filter((m) => m.action === 'delete' || m.action === 'quarantine');
}
