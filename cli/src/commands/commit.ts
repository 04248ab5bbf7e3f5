/**
 * `coldfix commit IMAGE [--journal-dir DIR] [--json]`: keeps the changes of a
 * completed session and deletes its undo journal (docs/journal.md).
 * Exit 0 committed; 2 no journal / bad input; 4 refused (unfinished journal: only rollback is safe).
 */
import type { Command } from 'commander';
import { commitImage } from '@coldfix/io';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { formatBytes, printJson } from '../output.js';

interface CommitCliOptions {
  journalDir?: string;
  json?: boolean;
}

export function registerCommitCommand(program: Command, setExit: SetExit): void {
  program
    .command('commit')
    .description('keep the changes coldfix made to an image and delete its undo journal (refused if the session did not complete)')
    .argument('<image>', 'disk image file or block device that coldfix changed')
    .option('--journal-dir <dir>', 'folder holding the journal, if it was not written beside the image')
    .option('--json', 'print one JSON document')
    .action(async (image: string, options: CommitCliOptions) => {
      const result = await commitImage(image, { journalDir: options.journalDir });
      if (options.json) printJson({ action: 'commit', ...result });
      else process.stdout.write(`committed ${image}: changes kept; journal ${result.journalPath} (${result.records} records, ${formatBytes(result.bytes)}) removed. This cannot be undone.\n`);
      setExit(ExitCode.ok);
    });
}
