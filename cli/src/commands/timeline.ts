/**
 * `coldfix timeline IMAGE [--format bodyfile|csv]`: every entry (deleted ones
 * included) with its $SI and $FILE_NAME times. The body file is the
 * TSK 3.x format mactime reads:
 *   MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime
 * with ctime = MFT change time, and a second line "name ($FILE_NAME)" per name, as fls -m does.
 */
import type { Command } from 'commander';
import { filetimeToIso, filetimeToUnixSeconds, type WalkEntry } from '@coldfix/ntfs';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { addNtfsOptions, openNtfs, StdoutBuffer, type NtfsCliOptions } from '../open-ntfs.js';

interface TimelineOptions extends NtfsCliOptions {
  format?: string;
}

export function registerTimelineCommand(program: Command, setExit: SetExit): void {
  const command = program
    .command('timeline')
    .description('$SI and $FILE_NAME times of every entry, as a mactime body file or CSV')
    .argument('<image>', 'disk image, partition or NTFS volume file')
    .option('--format <format>', 'bodyfile | csv', 'bodyfile');
  addNtfsOptions(command);
  command.action(async (image: string, options: TimelineOptions) => {
    const format = options.format ?? 'bodyfile';
    if (format !== 'bodyfile' && format !== 'csv') throw new UsageError(`--format must be bodyfile or csv, not ${format}`);
    const { volume, close } = await openNtfs(image, options);
    const out = new StdoutBuffer();
    try {
      if (format === 'csv') await out.write('path,record,sequence,deleted,source,name,created,modified,mftModified,accessed,size\n');
      for await (const entry of volume.walk({ deleted: true })) {
        if (out.closed) break;
        await out.write(format === 'csv' ? csvLines(entry) : bodyLines(entry));
      }
      await out.flush();
      setExit(ExitCode.ok);
    } finally {
      await close();
    }
  });
}

const secs = (t: bigint | undefined): number => (t === undefined || t === 0n ? 0 : filetimeToUnixSeconds(t));
const clean = (s: string): string => s.replace(/[|\n\r]/g, '_');

function mode(entry: WalkEntry): string {
  const t = entry.type === 'dir' ? 'd/d' : entry.type === 'link' ? 'l/l' : 'r/r';
  return `${t}rwxrwxrwx`;
}

export function bodyLines(entry: WalkEntry): string {
  const name = clean(entry.path) + (entry.deleted ? ' (deleted)' : '');
  const inode = `${entry.recordNumber}-${entry.sequence}`;
  let text = '';
  if (entry.si) {
    const si = entry.si;
    text += `0|${name}|${inode}|${mode(entry)}|0|0|${entry.size}|${secs(si.accessed)}|${secs(si.modified)}|${secs(si.mftModified)}|${secs(si.created)}\n`;
  }
  const fn = entry.names.find((n) => n.name === entry.name && n.parentRecordNumber === entry.parentRecordNumber) ?? entry.names.find((n) => n.name === entry.name);
  if (fn) text += `0|${name} ($FILE_NAME)|${inode}|${mode(entry)}|0|0|${entry.size}|${secs(fn.accessed)}|${secs(fn.modified)}|${secs(fn.mftModified)}|${secs(fn.created)}\n`;
  return text;
}

const csv = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function csvLines(entry: WalkEntry): string {
  const head = `${csv(entry.path)},${entry.recordNumber},${entry.sequence},${entry.deleted}`;
  let text = '';
  if (entry.si) {
    const si = entry.si;
    text += `${head},$SI,${csv(entry.name)},${filetimeToIso(si.created)},${filetimeToIso(si.modified)},${filetimeToIso(si.mftModified)},${filetimeToIso(si.accessed)},${entry.size}\n`;
  }
  for (const n of entry.names) text += `${head},$FN,${csv(n.name)},${filetimeToIso(n.created)},${filetimeToIso(n.modified)},${filetimeToIso(n.mftModified)},${filetimeToIso(n.accessed)},${n.dataSize}\n`;
  return text;
}
