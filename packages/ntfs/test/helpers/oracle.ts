/**
 * Oracles from The Sleuth Kit: `fls -r -p -l` rows and `icat` bytes, and the
 * same rows built from our walk, so the two sets can be compared exactly.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import type { WalkEntry } from '../../src/index.js';

const run = promisify(execFile);

export interface FlsRow {
  type: string;
  deleted: boolean;
  realloc: boolean;
  /** `rec-type-id` or `rec`. */
  address: string;
  record: number;
  path: string;
  size: number;
  crtime: string;
}

/** Parses `fls -r -p -l` (TSK 4.11) output. */
export function parseFls(text: string): FlsRow[] {
  const rows: FlsRow[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const m = /^(\S+) (\* )?([0-9-]+)(\(realloc\))?:\t(.*)$/.exec(line);
    if (!m) throw new Error(`unparsed fls line: ${line}`);
    const fields = m[5].split('\t');
    rows.push({
      type: m[1], deleted: m[2] !== undefined, realloc: m[4] !== undefined, address: m[3], record: Number(m[3].split('-')[0]),
      path: fields[0], size: Number(fields[5]), crtime: fields[4],
    });
  }
  return rows;
}

export function fls(image: string, mode: 'all' | 'allocated' | 'deleted', extra: string[] = []): FlsRow[] {
  const flag = mode === 'allocated' ? ['-u'] : mode === 'deleted' ? ['-d'] : [];
  const out = execFileSync('fls', ['-r', '-p', '-l', ...flag, ...extra, image], { maxBuffer: 1 << 30, encoding: 'utf8' });
  return parseFls(out);
}

export const rowKey = (path: string, record: number, size: number): string => `${path}\t${record}\t${size}`;

/**
 * Our walk as fls rows: a plain row for an $I30 index or an unnamed $DATA (or
 * when there is nothing else to show), one `path:stream` row per named $DATA or
 * non-$I30 index, and fls's `dir/.:stream` repeat of a directory's streams.
 */
export function ourRows(entries: WalkEntry[]): Array<{ key: string; deleted: boolean; entry: WalkEntry; stream?: string }> {
  const rows: Array<{ key: string; deleted: boolean; entry: WalkEntry; stream?: string }> = [];
  for (const e of entries) {
    const path = e.path.replace(/^\//, '');
    const virtual = e.path === '/$OrphanFiles';
    // fls (TSK fls_lib.c print_dent_act) prints each $I30 index and unnamed $DATA, and something when it printed nothing else.
    if (virtual || e.hasIndexRoot || e.hasDefaultData || e.streams.length === 0) {
      rows.push({ key: rowKey(path, e.recordNumber, e.size), deleted: e.deleted, entry: e });
    }
    for (const s of e.streams) {
      rows.push({ key: rowKey(`${path}:${s.name}`, e.recordNumber, s.size), deleted: e.deleted, entry: e, stream: s.name });
      if (e.isDirectory && !e.deleted && s.kind === 'data') rows.push({ key: rowKey(`${path}/.:${s.name}`, e.recordNumber, s.size), deleted: e.deleted, entry: e, stream: s.name });
    }
  }
  return rows;
}

/** icat of one attribute address (`rec-type-id`), as bytes. */
export async function icat(image: string, address: string, extra: string[] = []): Promise<Buffer> {
  const { stdout } = await run('icat', [...extra, image, address], { encoding: 'buffer', maxBuffer: 1 << 30 });
  return stdout as unknown as Buffer;
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/**
 * Expected bytes for every allocated file and stream: `tsk_recover -a` writes
 * all regular files in one process (fast); system files and named streams,
 * which it skips, come from `icat`. Calls `check(row, expected)` for each.
 */
export async function forEachTskStream(image: string, extra: string[], check: (row: FlsRow, stream: string, expected: Buffer) => Promise<void>): Promise<number> {
  const { mkdtempSync, readFileSync, existsSync, rmSync, statSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'coldfix-tsk-recover-'));
  try {
    execFileSync('tsk_recover', ['-a', ...extra, image, dir], { stdio: 'ignore' });
    const rows = fls(image, 'allocated', extra).filter((r) => (r.type === 'r/r' || r.type === 'd/r') && r.address.split('-')[1] === '128');
    let count = 0;
    await pool(rows, 4, async (row) => {
      if (row.path === '$BadClus:$Bad' || row.path.includes('/.:')) return;
      const colon = row.path.lastIndexOf(':');
      const stream = colon > row.path.lastIndexOf('/') ? row.path.slice(colon + 1) : '';
      const recovered = join(dir, row.path);
      const expected = !stream && existsSync(recovered) && statSync(recovered).isFile() ? readFileSync(recovered) : await icat(image, row.address, extra);
      await check(row, stream, expected);
      count++;
    });
    return count;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
