/**
 * `coldfix rollback IMAGE [--journal-dir DIR] [--allow-moved] [--json]`: restores an image
 * from its undo journal (docs/journal.md) and deletes the journal.
 * Exit 0 restored; 2 no journal / bad input / damaged journal; 4 refused (journal for another image).
 */
import type { Command } from 'commander';
import { rollbackImage } from '@coldfix/io';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { formatBytes, printJson } from '../output.js';

interface RollbackCliOptions {
  journalDir?: string;
  allowMoved?: boolean;
  json?: boolean;
}

export function registerRollbackCommand(program: Command, setExit: SetExit): void {
  program
    .command('rollback')
    .description('undo every change coldfix made to an image, from its journal, then delete the journal (safe to repeat after a crash)')
    .argument('<image>', 'disk image file or block device that coldfix changed')
    .option('--journal-dir <dir>', 'folder holding the journal, if it was not written beside the image')
    .option('--allow-moved', 'accept an image whose device/inode changed since the journal was made (image and journal copied together); its content is still checked')
    .option('--json', 'print one JSON document')
    .action(async (image: string, options: RollbackCliOptions) => {
      const result = await rollbackImage(image, { journalDir: options.journalDir, allowMoved: options.allowMoved === true });
      if (options.json) {
        printJson({ action: 'rollback', ...result });
      } else if (result.emptyJournal) {
        process.stdout.write(`${image}: the journal ${result.journalPath} was cut short while being created; nothing had been changed. Journal removed.\n`);
      } else {
        const resized = result.sizeBefore !== result.originalSize ? `, size ${result.sizeBefore} -> ${result.originalSize} bytes` : '';
        process.stdout.write(
          `rolled back ${image}: restored ${result.restoredRecords} before-image(s), ${formatBytes(result.restoredBytes)}${resized}; ` +
            `the session had ${result.state === 'complete' ? 'completed' : 'NOT completed (stopped mid-way)'}${result.tornBytes ? `; ignored a torn last record (${result.tornBytes} bytes)` : ''}.\n` +
            `journal ${result.journalPath} removed.\n`,
        );
      }
      setExit(ExitCode.ok);
    });
}
