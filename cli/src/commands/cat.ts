/**
 * `coldfix cat IMAGE PATH[:STREAM]` (or `--record N [--stream NAME]`): a
 * file's bytes to stdout, read in 1 MiB pieces (compressed, sparse and
 * partly initialised streams as Windows reads them).
 */
import type { Command } from 'commander';
import { NotFoundError } from '@coldfix/io';
import type { NtfsVolume } from '@coldfix/ntfs';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { warnSkipped } from '../skipped.js';
import { UsageError } from '../errors.js';
import { addNtfsOptions, openNtfs, type NtfsCliOptions } from '../open-ntfs.js';

interface CatOptions extends NtfsCliOptions {
  record?: string;
  stream?: string;
}

const PIECE = 1 << 20;

export function registerCatCommand(program: Command, setExit: SetExit): void {
  const command = program
    .command('cat')
    .description('write a file or named stream of an NTFS volume to stdout')
    .argument('<image>', 'disk image, partition or NTFS volume file')
    .argument('[path]', 'file path, optionally with :STREAM')
    .option('--record <n>', 'MFT record number instead of a path')
    .option('--stream <name>', 'named $DATA stream (with --record)');
  addNtfsOptions(command);
  command.action(async (image: string, path: string | undefined, options: CatOptions) => {
    if (path === undefined && options.record === undefined) throw new UsageError('give a PATH or --record N');
    const { volume, close } = await openNtfs(image, options);
    const skippedBefore = volume.skippedCount;
    try {
      const { recordNumber, stream } = await target(volume, path, options);
      if (stream === '' && (await volume.readRecord(recordNumber)).isDirectory) {
        // A directory has no unnamed $DATA: say what it is (its named streams stay readable as DIR:STREAM).
        throw new NotFoundError(`${path ?? `record ${recordNumber}`}: is a directory (list it with \`coldfix ls\`)`, {
          code: 'CAT_IS_DIRECTORY',
          layer: 'cli',
          details: { record: recordNumber },
        });
      }
      const source = await volume.openStream(recordNumber, stream);
      for (let offset = 0; offset < source.size; offset += PIECE) {
        const bytes = await source.read(offset, Math.min(PIECE, source.size - offset));
        if (!process.stdout.write(bytes)) await new Promise((resolve) => process.stdout.once('drain', resolve));
      }
      setExit(warnSkipped(volume, skippedBefore) ? ExitCode.incomplete : ExitCode.ok);
    } catch (error) {
      warnSkipped(volume, skippedBefore);
      throw error;
    } finally {
      await close();
    }
  });
}

/** Resolves PATH[:STREAM]: the whole string first (POSIX names may hold ':'), then split at the last ':'. */
export async function target(volume: NtfsVolume, path: string | undefined, options: CatOptions): Promise<{ recordNumber: number; stream: string }> {
  if (options.record !== undefined) {
    const recordNumber = Number(options.record);
    if (!Number.isSafeInteger(recordNumber) || recordNumber < 0) throw new UsageError(`--record must be a record number, not ${options.record}`);
    return { recordNumber, stream: options.stream ?? '' };
  }
  const full = path!;
  try {
    const entry = await volume.resolve(full);
    return { recordNumber: entry.recordNumber, stream: options.stream ?? '' };
  } catch (error) {
    const colon = full.lastIndexOf(':');
    const slash = Math.max(full.lastIndexOf('/'), full.lastIndexOf('\\'));
    if (!(error instanceof NotFoundError) || colon <= slash || colon <= 1) throw error;
    const entry = await volume.resolve(full.slice(0, colon));
    return { recordNumber: entry.recordNumber, stream: full.slice(colon + 1) };
  }
}
