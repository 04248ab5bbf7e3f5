/**
 * `coldfix stat IMAGE PATH [--json]` (or `--record N`): a record in full, like
 * istat: header, $STANDARD_INFORMATION, every $FILE_NAME with its times, every
 * attribute with its runlist, anomalies.
 */
import type { Command } from 'commander';
import { filetimeToIso, type RecordDetails } from '@coldfix/ntfs';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { addNtfsOptions, jsonReplacer, openNtfs, type NtfsCliOptions } from '../open-ntfs.js';
import { target } from './cat.js';

interface StatOptions extends NtfsCliOptions {
  record?: string;
  json?: boolean;
}

export function registerStatCommand(program: Command, setExit: SetExit): void {
  const command = program
    .command('stat')
    .description('show an MFT record in full: attributes, names and their times, runlists')
    .argument('<image>', 'disk image, partition or NTFS volume file')
    .argument('[path]', 'file or directory path')
    .option('--record <n>', 'MFT record number instead of a path')
    .option('--json', 'print one JSON document');
  addNtfsOptions(command);
  command.action(async (image: string, path: string | undefined, options: StatOptions) => {
    if (path === undefined && options.record === undefined) throw new UsageError('give a PATH or --record N');
    const { volume, close } = await openNtfs(image, options);
    try {
      const { recordNumber } = await target(volume, path, options);
      const details = await volume.stat(recordNumber);
      const document = statDocument(details, path);
      if (options.json) process.stdout.write(`${JSON.stringify(document, jsonReplacer, 2)}\n`);
      else process.stdout.write(statText(document));
      setExit(ExitCode.ok);
    } finally {
      await close();
    }
  });
}

const times = (t: { created: bigint; modified: bigint; mftModified: bigint; accessed: bigint }) => ({
  created: filetimeToIso(t.created),
  modified: filetimeToIso(t.modified),
  mftModified: filetimeToIso(t.mftModified),
  accessed: filetimeToIso(t.accessed),
});

export function statDocument(d: RecordDetails, path?: string) {
  return {
    ...(path ? { path } : {}),
    record: d.recordNumber,
    sequence: d.sequence,
    inUse: d.inUse,
    isDirectory: d.isDirectory,
    linkCount: d.linkCount,
    lsn: d.lsn.toString(),
    baseRecord: d.baseRecordNumber,
    extensionRecords: d.extensionRecords,
    standardInformation: d.standardInformation
      ? { ...times(d.standardInformation), fileAttributes: `0x${d.standardInformation.fileAttributes.toString(16)}`, securityId: d.standardInformation.securityId, usn: d.standardInformation.usn?.toString() }
      : null,
    fileNames: d.fileNames.map((n) => ({ name: n.name, namespace: n.namespace, parent: n.parentRecordNumber, parentSequence: n.parentSequence, allocatedSize: n.allocatedSize, size: n.dataSize, flags: `0x${n.flags.toString(16)}`, ...times(n) })),
    reparse: d.reparse ? { tag: `0x${d.reparse.tag.toString(16)}`, kind: d.reparse.kind, target: d.reparse.target, printName: d.reparse.printName } : null,
    attributes: d.attributes,
    anomalies: d.anomalies,
  };
}

function statText(doc: ReturnType<typeof statDocument>): string {
  const lines: string[] = [];
  lines.push(`MFT record ${doc.record}  sequence ${doc.sequence}  ${doc.inUse ? 'in use' : 'NOT in use'}${doc.isDirectory ? '  directory' : ''}  links ${doc.linkCount}  LSN ${doc.lsn}`);
  if (doc.baseRecord) lines.push(`extension of base record ${doc.baseRecord}`);
  if (doc.extensionRecords.length) lines.push(`extension records: ${doc.extensionRecords.join(', ')}`);
  if (doc.standardInformation) {
    const si = doc.standardInformation;
    lines.push('', '$STANDARD_INFORMATION', `  attributes ${si.fileAttributes}  security id ${si.securityId ?? '-'}  USN ${si.usn ?? '-'}`);
    lines.push(`  created       ${si.created}`, `  modified      ${si.modified}`, `  mft modified  ${si.mftModified}`, `  accessed      ${si.accessed}`);
  }
  for (const n of doc.fileNames) {
    lines.push('', `$FILE_NAME ${JSON.stringify(n.name)} (${n.namespace})  parent ${n.parent}-${n.parentSequence}  size ${n.size}  allocated ${n.allocatedSize}  flags ${n.flags}`);
    lines.push(`  created       ${n.created}`, `  modified      ${n.modified}`, `  mft modified  ${n.mftModified}`, `  accessed      ${n.accessed}`);
  }
  if (doc.reparse) lines.push('', `$REPARSE_POINT ${doc.reparse.tag} (${doc.reparse.kind})${doc.reparse.target ? ` -> ${doc.reparse.target}` : ''}`);
  lines.push('', 'Attributes:');
  for (const a of doc.attributes) {
    const flags = [a.compressed ? 'compressed' : '', a.sparse ? 'sparse' : '', a.encrypted ? 'encrypted' : ''].filter(Boolean).join(',');
    lines.push(`  ${a.typeName} (${a.type.toString(16)}-${a.id})${a.name ? ` name ${JSON.stringify(a.name)}` : ''}  ${a.resident ? 'resident' : 'non-resident'}  size ${a.size}${a.resident ? '' : `  allocated ${a.allocatedSize}  initialized ${a.initializedSize}  VCN ${a.lowestVcn}-${a.highestVcn}`}${flags ? `  ${flags}` : ''}  (record ${a.recordNumber} +0x${a.offset.toString(16)})`);
    if (a.runs?.length) lines.push(`    runs: ${a.runs.map((r) => `${r.lcn === null ? 'sparse' : r.lcn}+${r.length}`).join(' ')}`);
    if (a.runlistError) lines.push(`    runlist error: ${a.runlistError}`);
  }
  if (doc.anomalies.length) lines.push('', 'Anomalies:', ...doc.anomalies.map((a) => `  ${a}`));
  return `${lines.join('\n')}\n`;
}
