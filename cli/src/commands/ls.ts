/**
 * `coldfix ls IMAGE [PATH] [-r] [--deleted] [--json]`: like `fls -r -p`, with
 * full paths, record-sequence, sizes and the four $SI times; `--json` prints
 * NDJSON, one object per entry (every $FILE_NAME and named stream included).
 *
 * Runs on volume.list() (batches over a compact record table, one sequential
 * $MFT pass); text lines are written as bytes (listing-format.ts), JSON built
 * as one string per batch, without per-entry objects. entryLines/entryJson
 * format a walk() entry the same way (the reference, for tests).
 */
import type { Command } from 'commander';
import { filetimeToIso, ListBatch, type NtfsVolume, type WalkEntry } from '@coldfix/ntfs';
import { ByteOutput, hasPlainRow, writeJsonLines, writeLsLines } from '../listing-format.js';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { skippedJsonLine, warnSkipped } from '../skipped.js';
import { addNtfsOptions, jsonReplacer, openNtfs, type NtfsCliOptions } from '../open-ntfs.js';

interface LsOptions extends NtfsCliOptions {
  recursive?: boolean;
  deleted?: boolean;
  json?: boolean;
}

export function registerLsCommand(program: Command, setExit: SetExit): void {
  const command = program
    .command('ls')
    .description('list an NTFS directory (like fls -p): type, record-sequence, path, size, $SI times')
    .argument('<image>', 'disk image, partition or NTFS volume file')
    .argument('[path]', 'directory to list (default: the root)', '/')
    .option('-r, --recursive', 'descend into sub-directories')
    .option('--deleted', 'include deleted entries and orphans (like fls without -u)')
    .option('--json', 'NDJSON: one object per entry');
  addNtfsOptions(command);
  command.action(async (image: string, path: string, options: LsOptions) => {
    const { volume, close } = await openNtfs(image, options);
    const out = new ByteOutput();
    const skippedBefore = volume.skippedCount;
    try {
      const json = options.json === true;
      // COLDFIX_LIST_PARALLEL=1: the $MFT decoded in a worker thread (off by default; bench/ls-vs-fls measures both).
      const parallel = process.env.COLDFIX_LIST_PARALLEL === '1';
      // A file (not a directory): its own rows, as its parent's listing shows them (`ls -l FILE`).
      const file = await fileTarget(volume, path);
      const root = file ? file.parent : path;
      for await (const listed of volume.list({ root, recursive: file ? false : options.recursive === true, deleted: options.deleted === true, names: json, parallel })) {
        if (out.closed) break;
        const batch = file ? onlyFile(listed, file.recordNumber, file.name) : listed;
        if (json) writeJsonLines(out, batch);
        else writeLsLines(out, batch);
        await out.drain();
      }
      const skipped = warnSkipped(volume, skippedBefore);
      if (skipped && json) out.text(skippedJsonLine(volume, skippedBefore));
      await out.end();
      setExit(skipped ? ExitCode.incomplete : ExitCode.ok);
    } finally {
      await close();
    }
  });
}

/** The record and parent directory of `path` when it names a file, not a directory; null for a directory. */
async function fileTarget(volume: NtfsVolume, path: string): Promise<{ parent: string; recordNumber: number; name: string } | null> {
  const entry = await volume.resolve(path);
  if (entry.isDirectory) return null;
  const parent = entry.path.slice(0, entry.path.lastIndexOf('/')) || '/';
  return { parent, recordNumber: entry.recordNumber, name: entry.name };
}

/** The rows of `batch` for record `recordNumber` (under `name` when that name is among them: one hard link of several). */
function onlyFile(batch: ListBatch, recordNumber: number, name: string): ListBatch {
  const rows: number[] = [];
  for (let i = 0; i < batch.length; i++) if (batch.record[i] === recordNumber) rows.push(i);
  const named = rows.filter((i) => batch.name[i]!.toUpperCase() === name.toUpperCase());
  const out = new ListBatch(batch.table, Math.max(1, rows.length));
  for (const i of named.length ? named : rows) out.push(batch.dir[i]!, batch.name[i]!, batch.namespace[i]!, batch.record[i]!, batch.slot[i]!, batch.parent[i]!, batch.mark[i]!);
  return out;
}

const iso = (t: bigint | undefined): string | null => (t === undefined ? null : filetimeToIso(t));

/** The JSON object of a walk() entry (the reference for writeJsonLines). */
export function entryJson(entry: WalkEntry) {
  return {
    path: entry.path,
    type: entry.type,
    record: entry.recordNumber,
    sequence: entry.sequence,
    size: entry.size,
    deleted: entry.deleted,
    ...(entry.reallocated ? { reallocated: true } : {}),
    ...(entry.orphan ? { orphan: true } : {}),
    created: iso(entry.si?.created),
    modified: iso(entry.si?.modified),
    mftModified: iso(entry.si?.mftModified),
    accessed: iso(entry.si?.accessed),
    names: entry.names.map((n) => ({
      name: n.name,
      namespace: n.namespace,
      parent: n.parentRecordNumber,
      parentSequence: n.parentSequence,
      created: filetimeToIso(n.created),
      modified: filetimeToIso(n.modified),
      mftModified: filetimeToIso(n.mftModified),
      accessed: filetimeToIso(n.accessed),
    })),
    streams: entry.streams.map((s) => ({ name: s.name, size: s.size, type: s.kind })),
    ...(entry.reparse ? { reparse: { tag: `0x${entry.reparse.tag.toString(16)}`, kind: entry.reparse.kind, ...(entry.reparse.target ? { target: entry.reparse.target } : {}) } } : {}),
  };
}

/** The NDJSON line of a walk() entry. */
export function entryJsonLine(entry: WalkEntry): string {
  return `${JSON.stringify(entryJson(entry), jsonReplacer)}\n`;
}

const typeCode: Record<WalkEntry['type'], string> = { file: 'r/r', dir: 'd/d', link: 'l/l', other: '-/-' };

/** The text lines of a walk() entry (the reference for writeLsLines; the same fls rules). */
export function entryLines(entry: WalkEntry): string {
  const mark = entry.deleted ? ' *' : '';
  const times = [entry.si?.created, entry.si?.modified, entry.si?.mftModified, entry.si?.accessed].map((t) => iso(t) ?? '-').join('\t');
  const head = `${typeCode[entry.type]}${mark} ${entry.recordNumber}-${entry.sequence}`;
  let text = hasPlainRow(entry.hasIndexRoot, entry.hasDefaultData, entry.streams.length) ? `${head}\t${entry.path}\t${entry.size}\t${times}\n` : '';
  for (const s of entry.streams) {
    text += `${head}\t${entry.path}:${s.name}\t${s.size}\t${times}\n`;
    if (entry.isDirectory && !entry.deleted && s.kind === 'data') text += `${head}\t${entry.path}/.:${s.name}\t${s.size}\t${times}\n`;
  }
  return text;
}
