/**
 * `coldfix replay IMAGE [--dry-run] [--json] [--commit]`: replays an unclean NTFS
 * $LogFile as far as it can prove safe (packages/ntfs replayLogFile), through the
 * undo journal. An update it cannot apply stops it before any write.
 * Exit: 0 replayed or already clean, 4 refused (an operation it cannot apply, the journal kept untouched).
 */
import type { Command } from 'commander';
import { commitImage, isColdfixError, journalPathFor } from '@coldfix/io';
import { replayLogFile, type ReplayReport } from '@coldfix/ntfs';
import { openImage } from '@coldfix/volumes';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { addImageOptions, addWriteOptions, imageOptionsFrom, type ImageCliOptions } from '../image-options.js';
import { openNtfs } from '../open-ntfs.js';
import { printJson } from '../output.js';

interface ReplayOptions extends ImageCliOptions { dryRun?: boolean; json?: boolean; commit?: boolean; partition?: string }

export function registerReplayCommand(program: Command, setExit: SetExit): void {
  const command = program
    .command('replay')
    .description('replay an unclean NTFS $LogFile as Windows does at mount (through the undo journal); refuse what cannot be applied')
    .argument('<image>', 'disk image file or block device')
    .option('--dry-run', 'analyse only: open read-only and report what would be done')
    .option('--json', 'print one JSON document')
    .option('--commit', 'drop the undo journal afterwards (default: keep it for `coldfix rollback`)')
    .option('--partition <n>', 'partition number holding the NTFS volume (default: the only NTFS volume)');
  addImageOptions(command);
  addWriteOptions(command);
  command.action(async (image: string, options: ReplayOptions) => {
    let partition: number | undefined;
    if (options.partition !== undefined) {
      partition = Number(options.partition);
      if (!Number.isInteger(partition) || partition < 0) throw new UsageError(`--partition must be a partition number, not ${options.partition}`);
    }
    let report: ReplayReport | null = null;
    let refused: string | null = null;
    let details: unknown = null;
    try {
      report = options.dryRun ? await dryRun(image, options) : await replayInPlace(image, options, partition);
    } catch (error) {
      if (!isColdfixError(error) || error.code !== 'NTFS_REPLAY_UNSUPPORTED_OP') throw error;
      refused = error.message;
      details = error.details;
    }
    if (options.json) printJson(refused ? { image, result: 'refused', message: refused, details } : { image, ...report });
    else if (refused) process.stdout.write(`${refused}\nresult: refused (nothing written)\n`);
    else process.stdout.write(formatReplay(image, report!));
    setExit(refused ? ExitCode.refused : ExitCode.ok);
  });
}

async function dryRun(image: string, options: ReplayOptions): Promise<ReplayReport> {
  const { volume, close } = await openNtfs(image, options);
  try {
    return await replayLogFile(volume, { dryRun: true });
  } finally {
    await close();
  }
}

async function replayInPlace(image: string, options: ReplayOptions, partition: number | undefined): Promise<ReplayReport> {
  const opened = await openImage(image, { ...(await imageOptionsFrom(options)), writable: true });
  let report: ReplayReport;
  try {
    const volume = await opened.ntfs(partition);
    report = await replayLogFile(volume);
    await opened.flush();
    if (opened.journal?.hasJournal) await opened.journal.complete();
  } finally {
    await opened.close();
  }
  if (options.commit && report.writes.length) await commitImage(image, { journalDir: options.journalDir });
  return report;
}

function formatReplay(image: string, r: ReplayReport): string {
  if (r.result === 'clean') return `${image}: $LogFile is clean${r.version ? ` (version ${r.version})` : ' (empty)'}: nothing to replay\n`;
  const lines = [
    `${image}: $LogFile version ${r.version}, unclean: ${r.recordsAnalysed} update records analysed from LSN ${r.redoFrom} to ${r.endLsn}`,
    `redo: ${r.redoneAlreadyOnDisk} update(s) already on disk, ${r.redoApplied} applied; undo: ${r.losers.length} uncommitted transaction(s) with nothing on disk to undo`,
    `${r.dryRun ? 'would write' : 'wrote'} ${r.redoApplied ? `${r.redoApplied} redone MFT record update(s) and ` : ''}clean restart pages (version 1.1, no client in use, clean flag): ${r.writes.map((w) => `0x${w.offset.toString(16)}+${w.length}`).join(', ')}`,
  ];
  if (!r.dryRun) lines.push(`journal: ${journalPathFor(image)} (\`coldfix rollback\` restores the original bytes)`);
  return `${lines.join('\n')}\n`;
}
