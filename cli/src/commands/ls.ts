/**
 * `coldfix ls IMAGE [PATH] [-r] [--deleted] [--json]`: like `fls -r -p`, with
 * full paths, record-sequence, sizes and the four $SI times; `--json` prints
 * NDJSON, one object per entry (every $FILE_NAME and named stream included).
 */
import type { Command } from 'commander';
import { filetimeToIso, type WalkEntry } from '@coldfix/ntfs';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { addNtfsOptions, jsonReplacer, openNtfs, StdoutBuffer, type NtfsCliOptions } from '../open-ntfs.js';

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
    const out = new StdoutBuffer();
    try {
      for await (const entry of volume.walk({ root: path, recursive: options.recursive === true, deleted: options.deleted === true })) {
        if (out.closed) break;
        await out.write(options.json ? `${JSON.stringify(entryJson(entry), jsonReplacer)}\n` : entryLines(entry));
      }
      await out.flush();
      setExit(ExitCode.ok);
    } finally {
      await close();
    }
  });
}

const iso = (t: bigint | undefined): string | null => (t === undefined ? null : filetimeToIso(t));

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
    streams: entry.streams.filter((s) => s.kind === 'data').map((s) => ({ name: s.name, size: s.size })),
    ...(entry.reparse ? { reparse: { tag: `0x${entry.reparse.tag.toString(16)}`, kind: entry.reparse.kind, ...(entry.reparse.target ? { target: entry.reparse.target } : {}) } } : {}),
  };
}

const typeCode: Record<WalkEntry['type'], string> = { file: 'r/r', dir: 'd/d', link: 'l/l', other: '-/-' };

function entryLines(entry: WalkEntry): string {
  const mark = entry.deleted ? ' *' : '';
  const times = [entry.si?.created, entry.si?.modified, entry.si?.mftModified, entry.si?.accessed].map((t) => iso(t) ?? '-').join('\t');
  const head = `${typeCode[entry.type]}${mark} ${entry.recordNumber}-${entry.sequence}`;
  let text = `${head}\t${entry.path}\t${entry.size}\t${times}\n`;
  for (const s of entry.streams) if (s.kind === 'data') text += `${head}\t${entry.path}:${s.name}\t${s.size}\t${times}\n`;
  return text;
}
