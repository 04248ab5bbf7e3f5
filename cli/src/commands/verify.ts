/** `coldfix verify IMAGE`: read-only; answers clean, affected (listing matches) or inconsistent. */
import type { Command } from 'commander';
import { verifyImage } from '@coldfix/repair';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { addImageOptions, imageOptionsFrom, type ImageCliOptions } from '../image-options.js';
import { printJson } from '../output.js';
import { selectRules } from './repair.js';

export function registerVerifyCommand(program: Command, setExit: SetExit): void {
  const command = program
    .command('verify')
    .description('read-only: are rule matches (default crowdstrike-291) left, and is every NTFS volume consistent?')
    .argument('<image>', 'disk image file or block device')
    .option('--rule <id...>', 'built-in rules (default crowdstrike-291 unless --rules is given)')
    .option('--rules <file>', 'more rules from a JSON or YAML file')
    .option('--only-bad', 'count only matches classified bad')
    .option('--partition <n>', 'only this partition')
    .option('--json', 'print one JSON document');
  addImageOptions(command);
  command.action(async (image: string, options: ImageCliOptions & { rule?: string[]; rules?: string; onlyBad?: boolean; partition?: string; json?: boolean }) => {
    const rules = await selectRules(options);
    const started = performance.now();
    const report = await verifyImage(image, await imageOptionsFrom(options), {
      rules,
      onlyBad: options.onlyBad,
      partition: options.partition === undefined ? undefined : Number(options.partition),
    });
    const seconds = (performance.now() - started) / 1000;
    if (options.json) {
      printJson({ ...report, seconds });
    } else {
      process.stdout.write(`coldfix verify: ${report.result}  ${report.image}\n`);
      for (const volume of report.volumes) {
        process.stdout.write(`  partition ${volume.partition}: Windows ${volume.windows.join(', ') || 'none found'}; check ${volume.check?.clean ? 'clean' : `${volume.check?.findings.length ?? '?'} finding(s)`}\n`);
        for (const m of volume.matches) process.stdout.write(`    ${m.action === 'none' ? 'kept' : 'MATCH'} ${m.path} (${m.classification}, last write ${m.modified})\n`);
        for (const f of volume.check?.findings ?? []) process.stdout.write(`    finding ${f.code}: ${f.message} (records ${f.records.join(', ')})\n`);
      }
      for (const detail of report.details) process.stdout.write(`  ${detail}\n`);
    }
    setExit(report.result === 'clean' ? ExitCode.ok : report.result === 'affected' ? ExitCode.affected : report.result === 'incomplete' ? ExitCode.incomplete : ExitCode.inconsistent);
  });
}
