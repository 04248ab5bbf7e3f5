/**
 * `coldfix timeline IMAGE [--format bodyfile|csv]`: every entry (deleted ones
 * included) with its $SI and $FILE_NAME times. The body file is the
 * TSK 3.x format mactime reads:
 *   MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime
 * with ctime = MFT change time, and a second line "name ($FILE_NAME)" per name, as fls -m does.
 * Runs on volume.list() (the compact record table); bodyLines formats a walk()
 * entry the same way (the reference).
 */
import type { Command } from 'commander';
import { filetimeToIso, filetimeToUnixSeconds, filetimePartsToIso, filetimePartsToUnixSeconds, ListMark, RecordBit, type ListBatch, type WalkEntry } from '@coldfix/ntfs';
import { ByteOutput } from '../listing-format.js';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { warnSkipped } from '../skipped.js';
import { UsageError } from '../errors.js';
import { addNtfsOptions, openNtfs, type NtfsCliOptions } from '../open-ntfs.js';

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
    const out = new ByteOutput();
    const skippedBefore = volume.skippedCount;
    try {
      if (format === 'csv') out.text('path,record,sequence,deleted,source,name,created,modified,mftModified,accessed,size\n');
      for await (const batch of volume.list({ deleted: true, names: true })) {
        if (out.closed) break;
        out.text(format === 'csv' ? batchCsv(batch) : batchBody(batch));
        await out.drain();
      }
      await out.end();
      setExit(warnSkipped(volume, skippedBefore) ? ExitCode.incomplete : ExitCode.ok);
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

export function csvLines(entry: WalkEntry): string {
  const head = `${csv(entry.path)},${entry.recordNumber},${entry.sequence},${entry.deleted}`;
  let text = '';
  if (entry.si) {
    const si = entry.si;
    text += `${head},$SI,${csv(entry.name)},${filetimeToIso(si.created)},${filetimeToIso(si.modified)},${filetimeToIso(si.mftModified)},${filetimeToIso(si.accessed)},${entry.size}\n`;
  }
  for (const n of entry.names) text += `${head},$FN,${csv(n.name)},${filetimeToIso(n.created)},${filetimeToIso(n.modified)},${filetimeToIso(n.mftModified)},${filetimeToIso(n.accessed)},${n.dataSize}\n`;
  return text;
}

const MODES = ['r/rrwxrwxrwx', 'd/drwxrwxrwx', 'l/lrwxrwxrwx', 'r/rrwxrwxrwx'];
const unixSeconds = (t: Uint32Array, o: number): number => (t[o] === 0 && t[o + 1] === 0 ? 0 : filetimePartsToUnixSeconds(t[o], t[o + 1]));
const fourSeconds = (t: Uint32Array, o: number): string => `${unixSeconds(t, o + 6)}|${unixSeconds(t, o + 2)}|${unixSeconds(t, o + 4)}|${unixSeconds(t, o)}`;

/** Body-file lines of a batch (same as bodyLines for each entry). */
export function batchBody(batch: ListBatch): string {
  const t = batch.table;
  const pool = t.names;
  let text = '';
  for (let i = 0; i < batch.length; i++) {
    if (batch.mark[i] & ListMark.virtual) continue;
    const n = batch.slot[i];
    const name = clean(batch.path(i)) + (batch.mark[i] & ListMark.deleted ? ' (deleted)' : '');
    const common = `|${batch.record[i]}-${t.sequence[n]}|${MODES[t.type[n]]}|0|0|${t.size[n]}|`;
    if (t.bits[n] & RecordBit.hasSi) text += `0|${name}${common}${fourSeconds(t.si, n * 8)}\n`;
    let fn = -1;
    for (let s = t.nameStart[n], e = s + t.nameCount[n]; s < e; s++) {
      if (pool.names[s] !== batch.name[i]) continue;
      if (pool.parent[s] === batch.parent[i]) {
        fn = s;
        break;
      }
      if (fn < 0) fn = s;
    }
    if (fn >= 0) text += `0|${name} ($FILE_NAME)${common}${fourSeconds(pool.times, fn * 8)}\n`;
  }
  return text;
}

const isoFour = (t: Uint32Array, o: number): string =>
  `${filetimePartsToIso(t[o], t[o + 1])},${filetimePartsToIso(t[o + 2], t[o + 3])},${filetimePartsToIso(t[o + 4], t[o + 5])},${filetimePartsToIso(t[o + 6], t[o + 7])}`;

/** CSV lines of a batch (same as csvLines for each entry). */
export function batchCsv(batch: ListBatch): string {
  const t = batch.table;
  const pool = t.names;
  let text = '';
  for (let i = 0; i < batch.length; i++) {
    if (batch.mark[i] & ListMark.virtual) continue;
    const n = batch.slot[i];
    const head = `${csv(batch.path(i))},${batch.record[i]},${t.sequence[n]},${(batch.mark[i] & ListMark.deleted) !== 0}`;
    if (t.bits[n] & RecordBit.hasSi) text += `${head},$SI,${csv(batch.name[i])},${isoFour(t.si, n * 8)},${t.size[n]}\n`;
    for (let s = t.nameStart[n], e = s + t.nameCount[n]; s < e; s++) text += `${head},$FN,${csv(pool.names[s])},${isoFour(pool.times, s * 8)},${pool.dataSize[s]}\n`;
  }
  return text;
}
