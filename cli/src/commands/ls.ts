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
import { filetimeToIso, filetimePartsToIso, ListMark, NAMESPACES, RecordBit, type ListBatch, type WalkEntry } from '@coldfix/ntfs';
import { ByteOutput, hasPlainRow, writeLsLines } from '../listing-format.js';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
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
    try {
      const json = options.json === true;
      // COLDFIX_LIST_PARALLEL=1: the $MFT decoded in a worker thread (off by default; bench/ls-vs-fls measures both).
      const parallel = process.env.COLDFIX_LIST_PARALLEL === '1';
      for await (const batch of volume.list({ root: path, recursive: options.recursive === true, deleted: options.deleted === true, names: json, parallel })) {
        if (out.closed) break;
        if (json) for (let i = 0; i < batch.length; i++) out.text(jsonLine(batch, i));
        else writeLsLines(out, batch);
        await out.drain();
      }
      await out.end();
      setExit(ExitCode.ok);
    } finally {
      await close();
    }
  });
}

const str = (s: string): string => JSON.stringify(s);
const JSON_TYPES = ['"file"', '"dir"', '"link"', '"other"'];
const JSON_NAMESPACES = NAMESPACES.map((n) => `"${n}"`);

/** The NDJSON lines of a batch (same as entryJsonLine for each entry). */
export function batchJson(batch: ListBatch): string {
  let text = '';
  for (let i = 0; i < batch.length; i++) text += jsonLine(batch, i);
  return text;
}

/** The NDJSON line of entry `i` of a batch (one short string: big concatenations cost more to flatten). */
export function jsonLine(batch: ListBatch, i: number): string {
  const t = batch.table;
  const pool = t.names;
  const n = batch.slot[i];
  const mark = batch.mark[i];
  if (mark & ListMark.virtual) {
    return `{"path":${str(batch.path(i))},"type":"dir","record":${batch.record[i]},"sequence":0,"size":0,"deleted":false,"created":null,"modified":null,"mftModified":null,"accessed":null,"names":[],"streams":[]}\n`;
  }
  let line = `{"path":${str(batch.path(i))},"type":${JSON_TYPES[t.type[n]]},"record":${batch.record[i]},"sequence":${t.sequence[n]},"size":${t.size[n]},"deleted":${(mark & ListMark.deleted) !== 0}`;
  if (mark & ListMark.reallocated) line += ',"reallocated":true';
  if (mark & ListMark.orphan) line += ',"orphan":true';
  if (t.bits[n] & RecordBit.hasSi) {
    const o = n * 8;
    const si = t.si;
    line += `,"created":"${filetimePartsToIso(si[o], si[o + 1])}","modified":"${filetimePartsToIso(si[o + 2], si[o + 3])}","mftModified":"${filetimePartsToIso(si[o + 4], si[o + 5])}","accessed":"${filetimePartsToIso(si[o + 6], si[o + 7])}"`;
  } else line += ',"created":null,"modified":null,"mftModified":null,"accessed":null';
  line += ',"names":[';
  for (let s = t.nameStart[n], e = s + t.nameCount[n]; s < e; s++) {
    const o = s * 8;
    const ft = pool.times;
    line += `${s === t.nameStart[n] ? '' : ','}{"name":${str(pool.names[s])},"namespace":${JSON_NAMESPACES[pool.namespace[s]]},"parent":${pool.parent[s]},"parentSequence":${pool.parentSequence[s]},"created":"${filetimePartsToIso(ft[o], ft[o + 1])}","modified":"${filetimePartsToIso(ft[o + 2], ft[o + 3])}","mftModified":"${filetimePartsToIso(ft[o + 4], ft[o + 5])}","accessed":"${filetimePartsToIso(ft[o + 6], ft[o + 7])}"}`;
  }
  line += '],"streams":[';
  let first = true;
  for (const s of t.streamMap.get(n) ?? []) {
    line += `${first ? '' : ','}{"name":${str(s.name)},"size":${s.size},"type":"${s.kind}"}`;
    first = false;
  }
  line += ']';
  const reparse = t.reparseMap.get(n);
  if (reparse) line += `,"reparse":${JSON.stringify({ tag: `0x${reparse.tag.toString(16)}`, kind: reparse.kind, ...(reparse.target ? { target: reparse.target } : {}) })}`;
  return `${line}}\n`;
}

const iso = (t: bigint | undefined): string | null => (t === undefined ? null : filetimeToIso(t));

/** The JSON object of a walk() entry (the reference for batchJson). */
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
