/**
 * `coldfix check IMAGE [--json]`: the NTFS consistency checker, read-only.
 * Exit 0 when clean, 5 when any finding (each with its record numbers).
 */
import type { Command } from 'commander';
import { checkVolume } from '@coldfix/ntfs';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { addNtfsOptions, openNtfs, type NtfsCliOptions } from '../open-ntfs.js';
import { printJson } from '../output.js';

interface CheckOptions extends NtfsCliOptions {
  json?: boolean;
}

export function registerCheckCommand(program: Command, setExit: SetExit): void {
  const command = program
    .command('check')
    .description('check an NTFS volume\'s consistency ($MFT bitmap, $I30 B+ trees and entries, $Bitmap vs runlists, $MFTMirr); exit 5 when inconsistent')
    .argument('<image>', 'disk image, partition or NTFS volume file')
    .option('--json', 'print one JSON document');
  addNtfsOptions(command);
  command.action(async (image: string, options: CheckOptions) => {
    const { volume, close } = await openNtfs(image, options);
    try {
      const result = await checkVolume(volume);
      if (options.json) printJson({ image, ...result });
      else if (result.clean) process.stdout.write('clean: no inconsistency found\n');
      else {
        process.stdout.write(`inconsistent: ${result.findings.length} finding(s)\n`);
        for (const f of result.findings) process.stdout.write(`${f.code}\t${f.records.length ? `records ${f.records.join(',')}` : '-'}\t${f.message}\n`);
      }
      setExit(result.clean ? ExitCode.ok : ExitCode.inconsistent);
    } finally {
      await close();
    }
  });
}
