/**
 * The repair: plan → (dry run stops here) → safety gates → quarantine → delete
 * through the undo journal → complete the journal → verify from scratch →
 * report. A failed verification rolls the image back.
 *
 * In place, the plan and the write share one open through the journal (the
 * journal file appears only at the first write, after every gate has passed);
 * a dry run plans on a read-only open; `--output` plans on the original,
 * read-only, and writes a copy. Verification always reopens from scratch.
 */
import { performance } from 'node:perf_hooks';
import { allSettledOrThrow, DryRunOverlay, isColdfixError, isRemoteUrl, journalPathFor, mapLimit, maskUrl, rollbackImage, commitImage } from '@coldfix/io';
import { assertWritable, checkScope, checkVolume, checkWriteGates, deleteFiles, resetLogFile, scopeClaims } from '@coldfix/ntfs';
import { openImage, type OpenedImage, type OpenImageOptions } from '@coldfix/volumes';
import { clearPhases, phase } from './phases.js';
import { quarantineMatch, syncQuarantineRoot } from './quarantine.js';
import type { RepairReport, VolumeReport } from './report.js';
import type { Rule } from './rules/rule.js';
import { actionable, scanImage } from './scan.js';
import { flattenCopy } from './flatten-copy.js';
import { sparseCopy } from './sparse-copy.js';
import { bitlockerMetadataHash, directorySnapshot, findingKey, verifyImage, type Baseline } from './verify.js';

export interface RepairOptions extends Omit<OpenImageOptions, 'writable'> {
  rules: Rule[];
  onlyBad?: boolean;
  dryRun?: boolean;
  /** Write a repaired copy here; the original is never opened for writing. */
  output?: string;
  quarantineDir?: string;
  /** Reset an unclean $LogFile (as ntfs-3g does) instead of refusing; said in the report. */
  forceUncleanLog?: boolean;
  /** Drop the undo journal after a verified repair (default: keep it for `coldfix rollback`). */
  commit?: boolean;
  partition?: number;
  /**
   * Check the whole of every volume before and after the write (checkVolume), instead of what the
   * repair touches (checkScope, the default; see docs/repair.md).
   */
  fullCheck?: boolean;
}

export async function repairImage(image: string, options: RepairOptions): Promise<RepairReport> {
  const started = performance.now();
  const target = options.output ?? image;
  const openOptions: OpenImageOptions = { keys: options.keys, journalDir: options.journalDir, parentDirs: options.parentDirs, sectorSize: options.sectorSize };
  const scanOptions = { rules: options.rules, onlyBad: options.onlyBad, partition: options.partition };
  let bytesRead = 0;
  let bytesWritten = 0;

  // 1. Plan. In place, on the open the write will use (nothing is written before the gates pass);
  //    else (dry run, --output) on the original, read-only.
  clearPhases();
  phase('open');
  const writer = options.dryRun || options.output ? null : await openWritable(image, openOptions);
  const planned = writer ?? (await openImage(image, openOptions));
  let report: RepairReport;
  const fullCheck = options.fullCheck ?? false;
  /** Per partition: findings the check after the write would add (from the overlay run); any refuses the repair. */
  const predictedFailures = new Map<number, { code: string; message: string }[]>();
  const baseline: Baseline = { directories: new Map(), bitlockerMetadata: new Map(), deleted: new Map(), findings: new Map(), scopes: new Map(), fullCheck, installations: new Map() };
  let planFailed = true;
  try {
    phase('scan');
    const scanned = await scanImage(planned, scanOptions);
    phase('baseline');
    for (const { entry, report: volumeReport, installations } of scanned) {
      baseline.installations!.set(entry.partition, installations);
      const todo = actionable(volumeReport.matches);
      if (todo.length === 0) continue;
      const volume = await planned.ntfs(entry.partition);
      phase('gates');
      // Gates, directory snapshots, BitLocker metadata and the baseline check only read the volume:
      // they run side by side so that their reads overlap (all settle before an error is passed on).
      const directories = new Map<number, Set<string>>();
      const [gates, , metadata] = await allSettledOrThrow([
        checkWriteGates(volume),
        (async () => {
          for (const match of todo) if (!directories.has(match.parentRecord)) directories.set(match.parentRecord, await directorySnapshot(volume, match.parentRecord));
        })(),
        bitlockerMetadataHash(planned, entry),
        // Findings the volume already had (real volumes often carry benign leaked clusters) must not
        // fail the repair's verification; only findings the write introduces do. The same check runs
        // before and after: over what the repair touches (default) or the whole volume (--full-check).
        // Dry run = real run: the deletes are applied to an in-memory overlay of the volume and the
        // verification's check runs on that result; a finding it would add is a refusal now, before
        // anything is written (and the dry run predicts it), not a write rolled back.
        (async () => {
          const scope = await scopeClaims(volume, todo.map((m) => m.record));
          if (!fullCheck) baseline.scopes.set(entry.partition, scope);
          const before = fullCheck ? await checkVolume(volume) : await checkScope(volume, scope);
          const keys = new Set(before.findings.map(findingKey));
          baseline.findings.set(entry.partition, keys);
          const overlay = new DryRunOverlay(volume.source);
          await deleteFiles(overlay, todo.map((match) => ({ record: match.record, sequence: match.sequence })));
          const after = fullCheck ? await checkVolume(overlay) : await checkScope(overlay, scope);
          const fresh = after.findings.filter((f) => !keys.has(findingKey(f)));
          if (fresh.length) predictedFailures.set(entry.partition, fresh);
        })(),
      ] as const);
      phase('baseline-done');
      volumeReport.gates = gates.map((g) => ({ gate: g.gate, message: `${g.message} Risk: ${g.risk}`, overridden: false }));
      baseline.directories.set(entry.partition, directories);
      baseline.deleted.set(entry.partition, new Set(todo.map((m) => m.record)));
      if (metadata) baseline.bitlockerMetadata.set(entry.partition, metadata);
    }
    const summary = planned.summary;
    report = {
      image: isRemoteUrl(image) ? maskUrl(image) : image,
      format: summary.format,
      variant: summary.variant,
      mode: options.dryRun ? 'dry-run' : options.output ? 'output' : 'in-place',
      output: options.output ?? null,
      result: 'clean',
      messages: [],
      volumes: scanned.map((s) => s.report),
      quarantineDir: null,
      journal: null,
      verification: null,
      bytesRead: 0,
      bytesWritten: 0,
      seconds: 0,
    };
    planFailed = false;
  } finally {
    // The writer stays open for the write unless the plan failed.
    if (!writer || planFailed) {
      bytesRead += planned.ioStats().bytesRead;
      await planned.close();
    }
  }
  const finish = (): RepairReport => ({ ...report, bytesRead, bytesWritten, seconds: (performance.now() - started) / 1000 });
  const stop = async (): Promise<RepairReport> => {
    if (writer) {
      bytesRead += writer.ioStats().bytesRead;
      await writer.close();
    }
    return finish();
  };
  const work = report.volumes.filter((v) => actionable(v.matches).length > 0);
  if (work.length === 0) {
    // Nothing matched, but what could not be read may hold a match: not `clean`.
    const skipped = report.volumes.filter((v) => v.skipped);
    if (skipped.length) {
      report.result = 'incomplete';
      report.messages.push(...skipped.map((v) => `partition ${v.partition}: ${v.skipped!.count} item(s) could not be read (${v.skipped!.items[0]}); the scan is incomplete`));
    }
    return stop();
  }
  if (predictedFailures.size) {
    report.result = 'refused';
    for (const [partition, findings] of predictedFailures) {
      report.messages.push(`refused before writing: on partition ${partition} the check after the repair would find ${findings.length} new inconsistenc${findings.length === 1 ? 'y' : 'ies'} (the write would be rolled back):`);
      for (const f of findings.slice(0, 20)) report.messages.push(`  ${f.code}: ${f.message}`);
    }
    return stop();
  }
  if (options.dryRun) {
    report.result = 'affected';
    return stop();
  }
  const blocking = work.flatMap((v) => v.gates.filter((g) => !(g.gate === 'logfile-unclean' && options.forceUncleanLog)));
  if (blocking.length) {
    report.result = 'refused';
    report.messages.push(...blocking.map((g) => `refused (${g.gate}): ${g.message}`));
    return stop();
  }

  // 2. Write: a copy for --output, else the image itself, always through the journal.
  if (options.output && report.format === 'vmdk') {
    // A VMDK's files cannot be copied one by one (extents and parents are named beside it; several kinds are read-only).
    await flattenCopy(image, options.output, openOptions);
    report.messages.push(`--output of a VMDK is a flattened raw copy of its virtual disk: ${options.output}`);
  } else if (options.output) await sparseCopy(image, options.output);
  const quarantineRoot = options.quarantineDir ?? `${target}.coldfix-quarantine`;
  const opened =
    writer ??
    (await openImage(target, { ...openOptions, writable: true }).catch((error) => {
      if (isColdfixError(error) && error.kind === 'precondition') {
        report.result = 'refused';
        report.messages.push(error.message);
        return null;
      }
      throw error;
    }));
  if (!opened) return finish();
  try {
    for (const volumeReport of work) {
      const volume = await opened.ntfs(volumeReport.partition);
      const { overridden } = await assertWritable(volume, { forceUncleanLog: options.forceUncleanLog });
      for (const gate of overridden) {
        volumeReport.gates = volumeReport.gates.map((g) => (g.gate === gate.gate ? { ...g, overridden: true } : g));
        if (gate.gate === 'logfile-unclean') {
          await resetLogFile(volume);
          report.messages.push(`--force-unclean-log: $LogFile on partition ${volumeReport.partition} was reset; transactions Windows had not checkpointed are lost`);
        }
      }
      const todo = actionable(volumeReport.matches);
      // Evidence first, every copy fsynced, before any delete. Copies only read the volume, so a few run
      // at once (their fsyncs overlap); all settle before an error is passed on.
      phase('quarantine');
      await allSettledOrThrow([
        (async () => {
          await mapLimit(todo.filter((m) => m.action === 'quarantine'), QUARANTINE_CONCURRENCY, async (match) => {
            const entry = await quarantineMatch(volume, volumeReport.partition, match, quarantineRoot, { syncRoot: false });
            match.quarantinePath = entry.folder;
            report.quarantineDir = quarantineRoot;
          });
          // Each folder and its files are durable; the folders' entries in the root once for all.
          if (report.quarantineDir) await syncQuarantineRoot(quarantineRoot);
        })(),
        // The journal file is created (and made durable) while the evidence is copied; no image byte changes.
        opened.journal?.prepare() ?? Promise.resolve(),
      ] as const);
      phase('delete');
      // The transaction's writes are deferred to its flush: every before-image it needs is appended
      // with one fsync, then the writes go to the image (JournaledFile.writeBehind).
      await opened.journal?.writeBehind(true);
      // By file reference, not by path: exactly the record the scan matched (its sequence checked,
      // so a reused record is refused), whatever its name holds (a `\` inside a name would make its
      // path name something else, e.g. a decoy file in a folder of that name). One transaction for
      // every match of the volume: one plan, each structure written once, one journal append.
      await deleteFiles(volume, todo.map((match) => ({ record: match.record, sequence: match.sequence })));
    }
    phase('complete');
    await opened.flush();
    if (opened.journal?.hasJournal) await opened.journal.complete();
  } catch (error) {
    // Nothing half-done stays behind: undo whatever reached the image (a journal prepared before any
    // write holds nothing: rolling it back removes it).
    if (opened.journal?.hasJournal) await opened.journal.rollback();
    if (isColdfixError(error) && error.kind === 'precondition') {
      report.result = 'refused';
      report.messages.push(error.message);
      return finish();
    }
    throw error;
  } finally {
    const stats = opened.ioStats();
    bytesRead += stats.bytesRead;
    bytesWritten += stats.bytesWritten;
    await opened.close();
  }

  // 3. Verify from scratch; roll back if the result is not what we promised.
  const journalPath = journalPathFor(target, options.journalDir);
  phase('verify');
  const verification = await verifyImage(target, openOptions, scanOptions, baseline);
  bytesRead += verification.bytesRead;
  report.verification = { result: verification.result, details: verification.details };
  for (const after of verification.volumes) {
    const volumeReport = report.volumes.find((v) => v.partition === after.partition);
    if (volumeReport) volumeReport.check = after.check;
  }
  if (verification.result !== 'clean') {
    await rollbackImage(target, { journalDir: options.journalDir });
    report.result = 'failed';
    report.journal = { path: journalPath, state: 'rolled-back' };
    report.messages.push(`verification found the image ${verification.result} after the write; the image was rolled back to its original bytes`);
    return finish();
  }
  phase('end');
  report.result = 'repaired';
  if (options.commit) {
    await commitImage(target, { journalDir: options.journalDir });
    report.journal = { path: journalPath, state: 'committed' };
  } else {
    report.journal = { path: journalPath, state: 'kept' };
  }
  return finish();
}

const QUARANTINE_CONCURRENCY = 4;

/**
 * Opens the image for writing through the undo journal, or null when that open fails with a typed
 * error (a pending journal, a folder the journal cannot go in, an image file that cannot be opened
 * for writing, …): the plan then runs on a read-only open, a clean image still reports `clean`, and
 * the write step, which opens for writing again, reports the refusal or the error as it always did.
 */
async function openWritable(image: string, openOptions: OpenImageOptions): Promise<OpenedImage | null> {
  try {
    return await openImage(image, { ...openOptions, writable: true });
  } catch (error) {
    if (isColdfixError(error)) return null;
    throw error;
  }
}

