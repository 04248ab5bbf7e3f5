/**
 * `coldfix rm IMAGE [PATH...] [--record RECORD-SEQUENCE...] [--dry-run] [--json] [--force-unclean-log]`:
 * deletes files for an operator who knows what to remove. Gates first; all the
 * targets in one transaction (deleteFiles: every target planned before anything
 * is written, so one that is missing or refused leaves the image untouched);
 * every write goes through the undo journal; the volume is checked from scratch
 * afterwards and the image rolled back when the check is not clean.
 * A PATH removes that one name (Windows' DeleteFile: other hard links stay; the file goes with its
 * last name); --all-links and --record remove the file with every name.
 * Before writing (and in --dry-run) the plan is applied to an in-memory overlay and checked as the
 * result will be: a volume whose check would fail is refused (exit 4, findings listed), never written.
 * Exit: 0 deleted (or would be), 4 refused by a gate or by the check of the planned result, 5 rolled back after an inconsistent check.
 */
import type { Command } from 'commander';
import { journalPathFor, rollbackImage, commitImage, DryRunOverlay, type ByteSource } from '@coldfix/io';
import { assertWritable, checkVolume, checkWriteGates, deleteFiles, resetLogFile, type DeleteBatchResult, type DeleteTarget, type GateFinding } from '@coldfix/ntfs';
import { openImage } from '@coldfix/volumes';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { addImageOptions, addWriteOptions, imageOptionsFrom, type ImageCliOptions } from '../image-options.js';
import { openNtfs } from '../open-ntfs.js';
import { printJson } from '../output.js';

interface RmOptions extends ImageCliOptions {
  dryRun?: boolean;
  json?: boolean;
  forceUncleanLog?: boolean;
  commit?: boolean;
  partition?: string;
  record?: string[];
  allLinks?: boolean;
}

interface RmReport {
  image: string;
  mode: 'dry-run' | 'in-place';
  result: 'deleted' | 'would-delete' | 'refused' | 'rolled-back';
  gates: (GateFinding & { overridden: boolean })[];
  messages: string[];
  /** One entry per target, in the order given. */
  deleted: DeleteBatchResult['files'];
  /** Every structure the transaction writes (or would write), each once, with its device offset. */
  changes: DeleteBatchResult['changes'];
  check: { clean: boolean; findings: { code: string; message: string; records: number[] }[] } | null;
  journal: { path: string; state: 'kept' | 'committed' | 'rolled-back' } | null;
}

export function registerRmCommand(program: Command, setExit: SetExit): void {
  const command = program
    .command('rm')
    .description('delete files from an NTFS volume as Windows would, through the undo journal, then check the volume')
    .argument('<image>', 'disk image file or block device')
    .argument('[path...]', 'files to delete (/ or \\ separators, optional drive letter)')
    .option('--record <reference...>', 'files to delete by MFT reference RECORD-SEQUENCE, as `coldfix ls` prints it (names no path can say, e.g. holding a backslash); the sequence must match')
    .option('--all-links', 'a PATH removes every name (hard link) of its file, not only that name')
    .option('--dry-run', 'plan only: open read-only and report what would change')
    .option('--force-unclean-log', 'RISK: reset an unclean $LogFile (as ntfs-3g does) instead of refusing; transactions Windows did not checkpoint are lost')
    .option('--commit', 'drop the undo journal after a clean check (default: keep it for `coldfix rollback`)')
    .option('--partition <n>', 'partition number holding the NTFS volume (default: the only NTFS volume)')
    .option('--json', 'print the report as one JSON document');
  addImageOptions(command);
  addWriteOptions(command);
  command.action(async (image: string, paths: string[], options: RmOptions) => {
    const targets: DeleteTarget[] = [...paths, ...(options.record ?? []).map(parseReference)];
    if (targets.length === 0) throw new UsageError('name at least one file: a path or --record RECORD-SEQUENCE');
    const report = await runRm(image, targets, options);
    if (options.json) printJson(report);
    else process.stdout.write(formatRm(report));
    setExit(report.result === 'refused' ? ExitCode.refused : report.result === 'rolled-back' ? ExitCode.inconsistent : ExitCode.ok);
  });
}

async function runRm(image: string, targets: DeleteTarget[], options: RmOptions): Promise<RmReport> {
  let partition: number | undefined;
  if (options.partition !== undefined) {
    partition = Number(options.partition);
    if (!Number.isInteger(partition) || partition < 0) throw new UsageError(`--partition must be a partition number, not ${options.partition}`);
  }
  const report: RmReport = { image, mode: options.dryRun ? 'dry-run' : 'in-place', result: 'deleted', gates: [], messages: [], deleted: [], changes: [], check: null, journal: null };
  if (options.dryRun) {
    const { volume, close } = await openNtfs(image, options);
    try {
      report.gates = (await checkWriteGates(volume)).map((g) => ({ ...g, overridden: g.gate === 'logfile-unclean' && options.forceUncleanLog === true }));
      // The same plan and the same check of its result as the real run makes before writing.
      const predicted = await predict(volume, targets, options);
      ({ files: report.deleted, changes: report.changes } = predicted.plan);
      if (!predicted.check.clean) refuseInconsistent(report, predicted.check);
    } finally {
      await close();
    }
    if (report.result !== 'refused') report.result = report.gates.some((g) => !g.overridden) ? 'refused' : 'would-delete';
    return report;
  }
  const openOptions = await imageOptionsFrom(options);
  const opened = await openImage(image, { ...openOptions, writable: true });
  let wrote = false;
  try {
    const volume = await opened.ntfs(partition);
    const findings = await checkWriteGates(volume);
    report.gates = findings.map((g) => ({ ...g, overridden: g.gate === 'logfile-unclean' && options.forceUncleanLog === true }));
    const { overridden } = await assertWritable(volume, { forceUncleanLog: options.forceUncleanLog });
    // Before anything is written: the plan applied in memory and checked as the real result will be.
    // A volume whose check would fail after the delete is refused now, not written and rolled back.
    const predicted = await predict(volume, targets, options);
    if (!predicted.check.clean) {
      refuseInconsistent(report, predicted.check);
      return report;
    }
    if (overridden.some((g) => g.gate === 'logfile-unclean')) {
      await resetLogFile(volume);
      wrote = true;
      report.messages.push('--force-unclean-log: $LogFile was reset (as ntfs-3g does); transactions Windows had not checkpointed are lost');
    }
    // All or nothing: every target is resolved and planned before the first byte is written.
    wrote = true;
    ({ files: report.deleted, changes: report.changes } = await deleteFiles(volume, targets, { unlinkName: !options.allLinks }));
    await opened.flush();
    if (opened.journal?.hasJournal) await opened.journal.complete();
  } catch (error) {
    if (wrote && opened.journal?.hasJournal) await opened.journal.rollback();
    if ((error as { kind?: string }).kind === 'precondition') {
      report.result = 'refused';
      report.messages.push((error as Error).message);
      return report;
    }
    throw error;
  } finally {
    await opened.close();
  }
  // Check from scratch (a fresh, read-only open); undo when not clean.
  const journalPath = journalPathFor(image, options.journalDir);
  const { volume, close } = await openNtfs(image, options);
  try {
    report.check = await checkVolume(volume);
  } finally {
    await close();
  }
  if (!report.check.clean) {
    await rollbackImage(image, { journalDir: options.journalDir });
    report.result = 'rolled-back';
    report.journal = { path: journalPath, state: 'rolled-back' };
    report.messages.push('the volume check after the delete found inconsistencies; the image was rolled back to its original bytes');
    return report;
  }
  if (options.commit) {
    await commitImage(image, { journalDir: options.journalDir });
    report.journal = { path: journalPath, state: 'committed' };
  } else report.journal = { path: journalPath, state: 'kept' };
  return report;
}

/**
 * The delete planned and applied to an in-memory overlay of the volume (DryRunOverlay: the image is
 * never written), then the post-write check run on that result: what the real run would find.
 */
async function predict(volume: { source: ByteSource }, targets: DeleteTarget[], options: RmOptions): Promise<{ plan: DeleteBatchResult; check: CheckResult }> {
  const overlay = new DryRunOverlay(volume.source);
  const plan = await deleteFiles(overlay, targets, { unlinkName: !options.allLinks });
  return { plan, check: await checkVolume(overlay) };
}

function refuseInconsistent(report: RmReport, check: CheckResult): void {
  report.result = 'refused';
  report.check = check;
  report.messages.push(`refused before writing: the volume check of the planned result finds ${check.findings.length} inconsistenc${check.findings.length === 1 ? 'y' : 'ies'} (the real run would write, fail its check and roll back):`);
  for (const f of check.findings.slice(0, 20)) report.messages.push(`  ${f.code}: ${f.message}`);
}

type CheckResult = { clean: boolean; findings: { code: string; message: string; records: number[] }[] };

/** `RECORD-SEQUENCE` (as `coldfix ls` and fls print a file reference) → a delete target. */
export function parseReference(text: string): DeleteTarget {
  const m = /^(\d{1,15})-(\d{1,5})$/.exec(text.trim());
  const record = m ? Number(m[1]) : NaN;
  const sequence = m ? Number(m[2]) : NaN;
  if (!m || record > Number.MAX_SAFE_INTEGER || sequence > 0xffff) {
    throw new UsageError(`--record wants RECORD-SEQUENCE (e.g. 5027-3, as \`coldfix ls\` prints it), not ${JSON.stringify(text)}`);
  }
  return { record, sequence };
}

function formatRm(r: RmReport): string {
  const lines: string[] = [];
  for (const g of r.gates) lines.push(`gate ${g.gate}${g.overridden ? ' (overridden)' : ''}: ${g.message}\n  risk: ${g.risk}`);
  for (const d of r.deleted) {
    const verb = d.outcome === 'name' ? (r.mode === 'dry-run' ? 'would unlink' : 'unlinked') : r.mode === 'dry-run' ? 'would delete' : 'deleted';
    const what = d.outcome === 'name' ? `${d.linksLeft} other name(s) kept` : `${d.clustersFreed} cluster(s) freed`;
    lines.push(`${verb} ${d.path}: record ${d.record}-${d.sequence}, names ${d.names.join(', ')}, ${what}${d.usnAppended ? ', $UsnJrnl record appended' : ''}`);
  }
  if (r.deleted.length) lines.push(`${r.changes.length} structure write(s) in one transaction`);
  lines.push(...r.messages);
  if (r.check) lines.push(r.check.clean ? 'check: clean' : `check: ${r.check.findings.length} finding(s)`);
  if (r.journal) lines.push(`journal: ${r.journal.path} (${r.journal.state})`);
  lines.push(`result: ${r.result}`);
  return `${lines.join('\n')}\n`;
}
