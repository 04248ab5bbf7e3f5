/**
 * BitLocker key options shared by every command that reads files:
 *
 *   --recovery-password P   48-digit recovery password (repeatable)
 *   --password P            user password (repeatable)
 *   --bek FILE|DIR          .BEK startup/recovery key file, or a folder searched for *.BEK (repeatable)
 *   --keys FILE             escrow export mapping key IDs (protector GUIDs) or volume GUIDs
 *                           to recovery passwords: JSON, CSV with a header, or Windows'
 *                           "BitLocker Recovery Key <id>.TXT" files (repeatable)
 *
 * A secret value `-` is read from stdin; `env:NAME` from the environment
 * variable NAME; COLDFIX_RECOVERY_PASSWORD and COLDFIX_PASSWORD are used when
 * set. So secrets need not appear in the process list. Secrets never appear in
 * any message: errors name the option, file or variable, never the value.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { CorruptError, NotFoundError, PreconditionError, ioErrorFrom } from '@coldfix/io';
import type { KeyMaterial } from '@coldfix/bitlocker';

export interface KeyOptions {
  recoveryPassword?: string[];
  password?: string[];
  bek?: string[];
  keys?: string[];
}

/** What collectKeys reads from outside (injected by tests). */
export interface KeySources {
  env: Record<string, string | undefined>;
  readStdin: () => Promise<string>;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Adds the four key options to a command. */
export function addKeyOptions(command: Command): Command {
  return command
    .option('--recovery-password <P>', 'BitLocker recovery password (48 digits); "-" reads stdin, "env:NAME" an environment variable', collect)
    .option('--password <P>', 'BitLocker user password; "-" reads stdin, "env:NAME" an environment variable', collect)
    .option('--bek <FILE|DIR>', 'BitLocker .BEK key file, or a folder searched for .BEK files', collect)
    .option('--keys <FILE>', 'keys file (JSON or CSV escrow export) mapping key IDs or volume GUIDs to recovery passwords', collect);
}

async function readStdinDefault(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Resolves `-` and `env:NAME`; returns one or more secrets (stdin may hold one per line). */
async function resolveSecret(value: string, option: string, sources: KeySources, stdinState: { used: boolean }): Promise<string[]> {
  if (value === '-') {
    if (stdinState.used) {
      throw new PreconditionError(`${option}: stdin ("-") can supply only one option`, { code: 'CLI_STDIN_TWICE', layer: 'cli' });
    }
    stdinState.used = true;
    const text = await sources.readStdin();
    // One secret per line; only line ends are stripped (a password may begin or end with spaces).
    return text.split(/\r?\n/).filter((l) => l.length > 0);
  }
  if (value.startsWith('env:')) {
    const name = value.slice(4);
    const secret = sources.env[name];
    if (secret === undefined || secret === '') {
      throw new NotFoundError(`${option}: environment variable ${name} is not set`, { code: 'CLI_ENV_UNSET', layer: 'cli', details: { variable: name } });
    }
    return [secret];
  }
  return [value];
}

async function readBekPath(path: string): Promise<{ name: string; bytes: Uint8Array }[]> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw ioErrorFrom(error, path, 'open .BEK path');
  }
  if (!info.isDirectory()) {
    if (info.size > 1 << 20) throw new CorruptError(`${path} is too large to be a .BEK file`, { code: 'CLI_BEK_TOO_LARGE', layer: 'cli', details: { path } });
    return [{ name: basename(path), bytes: new Uint8Array(await readFile(path)) }];
  }
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isFile() || !/\.bek$/i.test(entry.name)) continue;
    const full = join(path, entry.name);
    if ((await stat(full)).size > 1 << 20) continue;
    out.push({ name: entry.name, bytes: new Uint8Array(await readFile(full)) });
  }
  return out;
}

const GUID_RE = /\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?/i;
const RECOVERY_RE = /\b(\d{6}(?:-\d{6}){7})\b/;
const ID_FIELD = /^(key ?id|keyid|key ?identifier|id|recovery ?key ?id|recoverykeyid|protector ?(id|guid)|key ?protector ?id|guid|volume ?(guid|id)|bitlocker ?key ?id|password ?id|identifier)$/i;
const KEY_FIELD = /^(recovery ?(key|password)|recoverykey|recoverypassword|bitlocker ?recovery ?(key|password)|key|password|recovery ?password ?value)$/i;

function normaliseGuid(text: string): string | undefined {
  const m = GUID_RE.exec(text.trim());
  return m ? m[1].toLowerCase() : undefined;
}

function normaliseHeader(text: string): string {
  return text.trim().replace(/^\uFEFF/, '').replace(/^"|"$/g, '').replace(/[_.]/g, ' ').trim();
}

/** RFC 4180 fields of one CSV text (quotes, doubled quotes, CRLF), with the delimiter given. */
function parseCsv(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field.trim() === '') { quoted = true; field = ''; }
    else if (ch === delimiter) { row.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field); field = '';
      if (row.some((f) => f.trim() !== '')) rows.push(row);
      row = [];
    } else field += ch;
  }
  row.push(field);
  if (row.some((f) => f.trim() !== '')) rows.push(row);
  return rows;
}

function addEntry(map: Map<string, string>, id: unknown, key: unknown): void {
  if (typeof id !== 'string' || typeof key !== 'string') return;
  const guid = normaliseGuid(id);
  if (guid && key.trim()) map.set(guid, key.trim());
}

function fromJson(value: unknown, map: Map<string, string>): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (Array.isArray(item) && item.length >= 2) addEntry(map, item[0], item[1]);
      else if (item && typeof item === 'object') fromJsonRecord(item as Record<string, unknown>, map);
    }
    return;
  }
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (Array.isArray(obj.value)) return fromJson(obj.value, map); // Microsoft Graph list responses
    const before = map.size;
    fromJsonRecord(obj, map);
    if (map.size > before) return;
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v === 'string') addEntry(map, k, v);
      else if (v && typeof v === 'object') fromJson(v, map);
    }
  }
}

function fromJsonRecord(obj: Record<string, unknown>, map: Map<string, string>): void {
  let id: unknown;
  let key: unknown;
  for (const [k, v] of Object.entries(obj)) {
    const name = normaliseHeader(k);
    if (id === undefined && ID_FIELD.test(name)) id = v;
    else if (key === undefined && KEY_FIELD.test(name)) key = v;
  }
  addEntry(map, id, key);
}

function fromCsv(text: string, map: Map<string, string>, path: string): boolean {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = [',', ';', '\t'].sort((a, b) => firstLine.split(b).length - firstLine.split(a).length)[0];
  const rows = parseCsv(text, delimiter);
  if (rows.length === 0) return false;
  const header = rows[0].map(normaliseHeader);
  const idCol = header.findIndex((h) => ID_FIELD.test(h));
  const keyCol = header.findIndex((h, i) => i !== idCol && KEY_FIELD.test(h));
  if (idCol < 0 || keyCol < 0) return false;
  void path;
  for (const row of rows.slice(1)) addEntry(map, row[idCol] ?? '', row[keyCol] ?? '');
  return true;
}

/** Windows' "BitLocker Recovery Key <ID>.TXT": "Identifier:" then the GUID, "Recovery Key:" then the password. */
function fromRecoveryText(text: string, map: Map<string, string>): boolean {
  const guids = [...text.matchAll(new RegExp(GUID_RE.source, 'gi'))].map((m) => m[1].toLowerCase());
  const keys = [...text.matchAll(new RegExp(RECOVERY_RE.source, 'g'))].map((m) => m[1]);
  if (guids.length === 0 || guids.length !== keys.length) return false;
  guids.forEach((g, i) => map.set(g, keys[i]));
  return true;
}

/** Parses a keys file's text into GUID → recovery password. Throws CorruptError (never quoting the file). */
export function parseKeysFile(text: string, path: string): Map<string, string> {
  const map = new Map<string, string>();
  const body = text.replace(/^\uFEFF/, '');
  const trimmed = body.trim();
  let understood = false;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      fromJson(JSON.parse(trimmed), map);
      understood = true;
    } catch {
      understood = false;
    }
  }
  if (!understood) understood = fromCsv(body, map, path);
  if (!understood || map.size === 0) understood = fromRecoveryText(body, map) || understood;
  if (map.size === 0) {
    throw new CorruptError(`keys file ${path}: no key ID / recovery key pairs found (expected JSON, or CSV with columns such as "Key ID,Recovery Key")`, {
      code: 'CLI_KEYS_FILE_UNREADABLE',
      layer: 'cli',
      details: { path },
    });
  }
  return map;
}

/**
 * Turns the parsed options into KeyMaterial: reads stdin/env secrets, .BEK
 * files and folders, and keys files.
 * @throws NotFoundError (file or variable missing), CorruptError (unreadable keys file),
 *   PreconditionError (stdin asked twice). Messages never contain a secret.
 */
export async function collectKeys(options: KeyOptions, sources: KeySources = { env: process.env, readStdin: readStdinDefault }): Promise<KeyMaterial> {
  const stdinState = { used: false };
  const recoveryPasswords: string[] = [];
  const passwords: string[] = [];
  for (const value of options.recoveryPassword ?? []) recoveryPasswords.push(...(await resolveSecret(value, '--recovery-password', sources, stdinState)));
  for (const value of options.password ?? []) passwords.push(...(await resolveSecret(value, '--password', sources, stdinState)));
  const envRecovery = sources.env.COLDFIX_RECOVERY_PASSWORD;
  if (envRecovery) recoveryPasswords.push(envRecovery.trim());
  const envPassword = sources.env.COLDFIX_PASSWORD;
  if (envPassword) passwords.push(envPassword);
  const startupKeys: { name: string; bytes: Uint8Array }[] = [];
  for (const path of options.bek ?? []) startupKeys.push(...(await readBekPath(path)));
  let keyMap: Map<string, string> | undefined;
  for (const path of options.keys ?? []) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw ioErrorFrom(error, path, 'read keys file');
    }
    keyMap ??= new Map();
    for (const [k, v] of parseKeysFile(text, path)) keyMap.set(k, v);
  }
  return {
    ...(recoveryPasswords.length ? { recoveryPasswords } : {}),
    ...(passwords.length ? { passwords } : {}),
    ...(startupKeys.length ? { startupKeys } : {}),
    ...(keyMap ? { keyMap } : {}),
  };
}
