/** The repair / verify report: one JSON document (see docs/repair.md), and its human summary. */
import type { Match } from './evaluate.js';

/** `incomplete`: no match found, but parts of a volume could not be read (VolumeReport.skipped): not verified clean. */
export type RepairResult = 'repaired' | 'clean' | 'affected' | 'refused' | 'failed' | 'incomplete';

export interface VolumeReport {
  partition: number;
  bitlocker: { volumeGuid: string; method: string; protectorUsed: { guid: string; type: string } | null } | null;
  /** Windows installations found on the volume (backslash paths from its root). */
  windows: string[];
  matches: Match[];
  /** Safety-gate findings on this volume (a write was refused, or an override was used). */
  gates: { gate: string; message: string; overridden: boolean }[];
  /**
   * Consistency check after the write (verify); `preexisting` counts findings the same check made before it.
   * `scope`: `volume` (checkVolume: the whole volume) or `touched` (checkScope: what the repair touched).
   */
  check: { clean: boolean; scope: 'volume' | 'touched'; findings: { code: string; message: string; records: number[] }[]; preexisting?: number } | null;
  /** What the scan (and check) could not read and left out (NtfsVolume.skipped); absent when nothing was. */
  skipped?: { count: number; items: string[] };
}

export interface RepairReport {
  image: string;
  format: string;
  variant: string;
  mode: 'dry-run' | 'in-place' | 'output';
  /** The repaired copy (mode `output`). */
  output: string | null;
  result: RepairResult;
  /** Why the result is `refused` or `failed`; what was overridden. */
  messages: string[];
  volumes: VolumeReport[];
  quarantineDir: string | null;
  journal: { path: string; state: 'kept' | 'committed' | 'rolled-back' | 'none' } | null;
  verification: { result: 'clean' | 'affected' | 'inconsistent' | 'incomplete'; details: string[] } | null;
  bytesRead: number;
  bytesWritten: number;
  seconds: number;
}

export function formatReport(report: RepairReport): string {
  const lines: string[] = [];
  lines.push(`coldfix repair: ${report.result.toUpperCase()}  ${report.image} (${report.format} ${report.variant})${report.output ? ` → ${report.output}` : ''}`);
  for (const volume of report.volumes) {
    const bl = volume.bitlocker ? `BitLocker ${volume.bitlocker.volumeGuid} ${volume.bitlocker.method}, unlocked with ${volume.bitlocker.protectorUsed?.type ?? '?'} protector ${volume.bitlocker.protectorUsed?.guid ?? ''}` : 'not encrypted';
    lines.push(`  partition ${volume.partition}: ${bl}; Windows: ${volume.windows.join(', ') || 'none found'}`);
    if (volume.matches.length === 0) lines.push('    no matching files');
    for (const m of volume.matches) {
      lines.push(`    ${m.action === 'none' ? 'kept   ' : m.action.padEnd(7)} ${m.path}`);
      lines.push(`            ${m.classification}, last write ${m.modified} (index ${m.indexModified}), ${m.size} bytes, header ${m.header}${m.headerMatches === null ? '' : m.headerMatches ? ' (channel-file magic)' : ''}`);
      lines.push(`            sha256 ${m.sha256}${m.quarantinePath ? `\n            quarantined in ${m.quarantinePath}` : ''}`);
    }
    for (const g of volume.gates) lines.push(`    gate ${g.gate}${g.overridden ? ' (OVERRIDDEN)' : ''}: ${g.message}`);
    if (volume.check) {
      const scope = volume.check.scope === 'touched' ? ' (what the repair touched; `coldfix verify` checks the whole volume)' : ' (whole volume)';
      lines.push(`    check: ${volume.check.clean ? 'clean' : `${volume.check.findings.length} finding(s)`}${scope}`);
    }
  }
  for (const message of report.messages) lines.push(`  ${message}`);
  if (report.verification) lines.push(`  verification: ${report.verification.result}${report.verification.details.length ? ` (${report.verification.details.join('; ')})` : ''}`);
  if (report.journal && report.journal.state === 'kept') {
    lines.push(`  undo journal kept at ${report.journal.path}: \`coldfix rollback ${report.output ?? report.image}\` restores the image, \`coldfix commit ${report.output ?? report.image}\` makes the repair final`);
  }
  lines.push(`  read ${report.bytesRead} bytes, wrote ${report.bytesWritten} bytes, ${report.seconds.toFixed(2)} s`);
  return lines.join('\n');
}
