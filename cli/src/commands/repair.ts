/** `coldfix repair IMAGE`: find, quarantine and delete files by rule (built in: crowdstrike-291), verify, report. */
import type { Command } from 'commander';
import { builtinRules, formatReport, loadRules, repairImage, type RepairReport, type Rule } from '@coldfix/repair';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { addImageOptions, addWriteOptions, imageOptionsFrom, type ImageCliOptions } from '../image-options.js';
import { printJson } from '../output.js';

interface RepairCliOptions extends ImageCliOptions {
  rule?: string[];
  rules?: string;
  onlyBad?: boolean;
  dryRun?: boolean;
  output?: string;
  quarantineDir?: string;
  action?: 'quarantine' | 'delete';
  forceUncleanLog?: boolean;
  commit?: boolean;
  partition?: string;
  fullCheck?: boolean;
  json?: boolean;
}

export function registerRepairCommand(program: Command, setExit: SetExit): void {
  const command = program
    .command('repair')
    .description('remove files matched by rules (default: the built-in crowdstrike-291 rule) from every NTFS volume of an image, with quarantine, undo journal and verification')
    .argument('<image>', 'disk image file or block device')
    .option('--rule <id...>', `built-in rules to apply (${Object.keys(builtinRules).join(', ')}); default crowdstrike-291 unless --rules is given`)
    .option('--rules <file>', 'more rules from a JSON or YAML file (see docs/repair.md)')
    .option('--only-bad', 'act only on matches classified bad (crowdstrike-291: last written 04:09–05:27 UTC on 2024-07-19)')
    .option('--action <action>', 'override every rule\'s action: quarantine (copy, then delete) or delete')
    .option('--dry-run', 'plan only: open read-only, print what would change, exit 3 when affected')
    .option('--output <file>', 'write a repaired copy to <file> and leave the image untouched')
    .option('--quarantine-dir <dir>', 'where quarantined files go (default: IMAGE.coldfix-quarantine/)')
    .option('--force-unclean-log', 'RISK: reset an unclean $LogFile instead of refusing; transactions Windows did not checkpoint are lost')
    .option('--commit', 'drop the undo journal after a verified repair (default: keep it for `coldfix rollback`)')
    .option('--partition <n>', 'only this partition')
    .option('--full-check', 'check every volume in full before and after the write (default: check what the repair touched; `coldfix verify` checks in full)')
    .option('--json', 'print the report as one JSON document');
  addImageOptions(command);
  addWriteOptions(command);
  command.action(async (image: string, options: RepairCliOptions) => {
    const rules = await selectRules(options);
    const report = await repairImage(image, {
      ...(await imageOptionsFrom(options)),
      rules,
      onlyBad: options.onlyBad,
      dryRun: options.dryRun,
      output: options.output,
      quarantineDir: options.quarantineDir,
      forceUncleanLog: options.forceUncleanLog,
      commit: options.commit,
      partition: options.partition === undefined ? undefined : Number(options.partition),
      fullCheck: options.fullCheck,
    });
    if (options.json) printJson(report);
    else process.stdout.write(`${formatReport(report)}\n`);
    setExit(exitCodeFor(report));
  });
}

export function exitCodeFor(report: RepairReport): number {
  switch (report.result) {
    case 'repaired':
    case 'clean':
      return ExitCode.ok;
    case 'affected':
      return ExitCode.affected;
    case 'refused':
      return ExitCode.refused;
    case 'incomplete':
      return ExitCode.incomplete;
    case 'failed':
      return ExitCode.internal;
  }
}

async function selectRules(options: RepairCliOptions): Promise<Rule[]> {
  const ids = options.rule ?? (options.rules ? [] : ['crowdstrike-291']);
  const rules: Rule[] = ids.map((id) => {
    const rule = builtinRules[id];
    if (!rule) throw new UsageError(`unknown built-in rule ${JSON.stringify(id)} (known: ${Object.keys(builtinRules).join(', ')})`);
    return { ...rule };
  });
  if (options.rules) rules.push(...(await loadRules(options.rules)));
  if (options.action) {
    if (options.action !== 'quarantine' && options.action !== 'delete') throw new UsageError(`--action must be quarantine or delete, not ${options.action}`);
    for (const rule of rules) if (rule.action !== 'report') rule.action = options.action;
  }
  if (options.partition !== undefined && !/^\d+$/.test(options.partition)) throw new UsageError(`--partition must be a number, not ${options.partition}`);
  return rules;
}

export { selectRules };
