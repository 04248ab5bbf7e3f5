/**
 * The `coldfix` command. The only module that touches argv, the console and
 * process.exit; every command lives in commands/ and returns an exit code.
 */
import { Command, CommanderError } from 'commander';
import { classifyError, usageCode } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { registerCommands } from './commands/index.js';

/** Commander ends that have already printed what they had to say (help text). */
const QUIET_COMMANDER_CODES = new Set(['commander.help', 'commander.helpDisplayed', 'commander.version', 'commander.executeSubCommandAsync']);

export async function main(argv: string[]): Promise<void> {
  // A reader that goes away (`coldfix batch … | head`) must not crash a command mid-work: stdout's
  // EPIPE only stops the output; the work (a repair, a batch) finishes and reports its exit code.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  const program = new Command('coldfix')
    .description('Offline disk-image forensic and repair toolkit: images, partitions, BitLocker, NTFS; no root, FUSE or kernel drivers.')
    .version('0.1.0')
    .exitOverride()
    // Parse errors are printed below, as one `coldfix: … [USAGE_…]` line like every other error.
    .configureOutput({ writeErr: (text) => process.stderr.write(text), outputError: () => undefined });
  let exitCode: number = ExitCode.ok;
  const setExit = (code: number) => {
    exitCode = code;
  };
  registerCommands(program, setExit);
  // Remember the image argument so an error line can name the file it is about.
  let image: string | undefined;
  program.hook('preAction', (_program, action) => {
    image = typeof action.args[0] === 'string' ? action.args[0] : undefined;
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
      if (error.exitCode !== 0 && !QUIET_COMMANDER_CODES.has(error.code)) {
        process.stderr.write(`coldfix: ${error.message.replace(/^error: /, '')} [${usageCode(error.code)}]\n`);
      }
    } else {
      const { exitCode: code, line } = classifyError(error, image);
      process.stderr.write(`${line}\n`);
      exitCode = code;
    }
  }
  process.exitCode = exitCode;
}
