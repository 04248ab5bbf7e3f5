/**
 * Batch manifests: JSON Lines (one object per line) or CSV with a header, one image per line:
 *
 *   {"image": "snap/vm-001.vhd", "action": "repair", "keys": "escrow.csv", "partition": 3, "output": "out/vm-001.vhd"}
 *   image,action,keys,partition,output
 *
 * Relative paths are taken from the manifest's folder. `keys` names a keys file, never a key: a line
 * holding anything that is not one of the known fields is refused (a secret pasted into a manifest
 * must not travel into results, logs or a queue). A folder becomes a manifest by content: every
 * regular file whose bytes a container driver recognises, or whose first sector carries a boot
 * signature (MBR, GPT protective MBR, NTFS or BitLocker boot sector), is an image.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CorruptError, LimitExceededError, ioErrorFrom } from '@coldfix/io';
import { looksLikeDiskImage } from '@coldfix/volumes';
import { BATCH_ACTIONS, type BatchAction, type ManifestEntry } from './types.js';

/** Bounds: a manifest is read whole, so its size and line count are capped. */
export const MAX_MANIFEST_BYTES = 64 << 20;
export const MAX_MANIFEST_LINES = 1_000_000;
const FIELDS = new Set(['image', 'action', 'keys', 'partition', 'output']);

const bad = (message: string, line: number, code = 'BATCH_MANIFEST_BAD_LINE') =>
  new CorruptError(`manifest line ${line}: ${message}`, { code, layer: 'batch', details: { line } });

/** Reads a manifest file (JSON Lines or CSV). Throws CorruptError naming the line, never quoting values. */
export async function readManifest(path: string, defaultAction: BatchAction = 'repair'): Promise<ManifestEntry[]> {
  const info = await stat(path).catch((error) => {
    throw ioErrorFrom(error, path, 'read manifest');
  });
  if (info.size > MAX_MANIFEST_BYTES) {
    throw new LimitExceededError(`manifest ${path} is ${info.size} bytes, above the ${MAX_MANIFEST_BYTES}-byte cap`, { code: 'BATCH_MANIFEST_TOO_LARGE', layer: 'batch', details: { size: info.size } });
  }
  return parseManifest(await readFile(path, 'utf8'), dirname(resolve(path)), defaultAction);
}

/** Parses manifest text; paths resolve against `baseDir`. */
export function parseManifest(text: string, baseDir: string, defaultAction: BatchAction = 'repair'): ManifestEntry[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.length > MAX_MANIFEST_LINES) {
    throw new LimitExceededError(`manifest has ${lines.length} lines, above the ${MAX_MANIFEST_LINES} cap`, { code: 'BATCH_MANIFEST_TOO_LARGE', layer: 'batch', details: { lines: lines.length } });
  }
  const first = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (first < 0) return [];
  const entries: ManifestEntry[] = [];
  if (lines[first].trim().startsWith('{')) {
    lines.forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw bad('not a JSON object', i + 1);
      }
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad('not a JSON object', i + 1);
      entries.push(toEntry(value as Record<string, unknown>, i + 1, baseDir, defaultAction));
    });
    return entries;
  }
  const header = splitCsvLine(lines[first]).map((h) => h.trim().toLowerCase());
  if (!header.includes('image')) throw bad('CSV header must name an "image" column', first + 1, 'BATCH_MANIFEST_NO_HEADER');
  for (let i = first + 1; i < lines.length; i++) {
    if (lines[i].trim() === '' || lines[i].trim().startsWith('#')) continue;
    const cells = splitCsvLine(lines[i]);
    if (cells.length > header.length) throw bad(`${cells.length} fields for a ${header.length}-column header`, i + 1);
    const record: Record<string, unknown> = {};
    header.forEach((name, c) => {
      const cell = (cells[c] ?? '').trim();
      if (cell !== '') record[name] = name === 'partition' ? Number(cell) : cell;
    });
    entries.push(toEntry(record, i + 1, baseDir, defaultAction));
  }
  return entries;
}

function toEntry(record: Record<string, unknown>, line: number, baseDir: string, defaultAction: BatchAction): ManifestEntry {
  for (const name of Object.keys(record)) if (!FIELDS.has(name)) throw bad(`unknown field "${name.slice(0, 40)}" (known: ${[...FIELDS].join(', ')}; keys go in a keys file)`, line, 'BATCH_MANIFEST_UNKNOWN_FIELD');
  const { image, action = defaultAction, keys, partition, output } = record;
  if (typeof image !== 'string' || image === '') throw bad('"image" must be a non-empty string', line);
  if (typeof action !== 'string' || !BATCH_ACTIONS.includes(action as BatchAction)) throw bad(`"action" must be one of ${BATCH_ACTIONS.join(', ')}`, line);
  if (keys !== undefined && (typeof keys !== 'string' || keys === '')) throw bad('"keys" must name a keys file', line);
  if (partition !== undefined && (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0 || partition > 128)) throw bad('"partition" must be an integer 0..128', line);
  if (output !== undefined && (typeof output !== 'string' || output === '')) throw bad('"output" must be a path', line);
  if (output !== undefined && action !== 'repair') throw bad('"output" only goes with action repair', line);
  return {
    image: resolve(baseDir, image),
    action: action as BatchAction,
    ...(keys !== undefined ? { keys: resolve(baseDir, keys as string) } : {}),
    ...(partition !== undefined ? { partition: partition as number } : {}),
    ...(output !== undefined ? { output: resolve(baseDir, output as string) } : {}),
    line,
  };
}

/** One CSV line's fields (RFC 4180 quotes; a manifest line never spans lines). */
function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field.trim() === '') (quoted = true), (field = '');
    else if (ch === ',') out.push(field), (field = '');
    else field += ch;
  }
  out.push(field);
  return out;
}

/**
 * Turns a folder into a manifest: its regular files (sorted, not recursive) that hold an image by
 * content (volumes' looksLikeDiskImage: every container a driver reads or that we recognise and refuse,
 * and raw disks). Undo journals are skipped.
 */
export async function scanDirectory(dir: string, action: BatchAction = 'repair'): Promise<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (name.endsWith('.coldfix-journal')) continue;
    const path = resolve(join(dir, name));
    const info = await stat(path).catch(() => null);
    if (!info || !(info.isFile() || info.isBlockDevice()) || info.size < 512) continue;
    if (await looksLikeDiskImage(path)) entries.push({ image: path, action, line: 0 });
  }
  return entries;
}
