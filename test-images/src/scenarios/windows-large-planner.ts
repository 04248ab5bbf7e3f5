/**
 * The bookkeeping behind the `ntfs-windows-large` plan (no I/O): directories created parents first,
 * names unique case-insensitively per directory (NTFS $UpCase collation, as Windows enforces), 8.3
 * DOS names generated the way Windows does for a long name (first six legal characters, `~N` for the
 * first four collisions, then two characters, four hex digits of a hash and `~N`: Microsoft,
 * "Naming Files, Paths, and Namespaces" - Short vs. Long Names, and the fsutil 8dot3name
 * documentation), hard links, and files created then deleted.
 */
import { Prng, seedOf } from '../util/content.js';

/** A directory of the plan. */
export interface LargeDir {
  path: string;
  dosName?: string;
}

/** A file of the plan; content is made from the path (cheap, deterministic). */
export interface LargeFile {
  path: string;
  size: number;
  dosName?: string;
  /** Named streams (e.g. `Zone.Identifier`). */
  streams?: { name: string; data: Uint8Array }[];
  /** A sparse file of this logical size (`size` bytes of data at offset 0). */
  sparseSize?: number;
}

/** The whole plan. */
export interface LargePlan {
  /** Parents before children. */
  dirs: LargeDir[];
  files: LargeFile[];
  /** Extra names for existing files (created after every file). */
  links: { target: string; path: string }[];
  /** Files (then directories, deepest first) created with the rest and deleted at the end. */
  deleted: { path: string; dir: boolean }[];
}

const LEGAL_83 = /[^A-Z0-9!#$%&'()@^_`{}~-]/g;

/** True when `name` already is a valid 8.3 name (Windows makes no separate DOS name then). */
export function is83(name: string): boolean {
  return /^[A-Za-z0-9!#$%&'()@^_`{}~-]{1,8}(\.[A-Za-z0-9!#$%&'()@^_`{}~-]{1,3})?$/.test(name);
}

/** The Windows-style 8.3 name of `long`, unique (upper case) against `used`; undefined when `long` is 8.3. */
export function shortName(long: string, used: Set<string>): string | undefined {
  if (is83(long)) return undefined;
  const dot = long.lastIndexOf('.');
  const clean = (s: string) => s.toUpperCase().replace(/[ .]/g, '').replace(LEGAL_83, '_');
  const base = clean(dot > 0 ? long.slice(0, dot) : long) || '_';
  const ext = dot > 0 ? clean(long.slice(dot + 1)).slice(0, 3) : '';
  const suffix = ext ? `.${ext}` : '';
  for (let n = 1; n <= 4; n++) {
    const c = `${base.slice(0, 6)}~${n}${suffix}`;
    if (!used.has(c)) return take(used, c);
  }
  const hash = (seedOf(long) & 0xffff).toString(16).toUpperCase().padStart(4, '0');
  for (let n = 1; n <= 9; n++) {
    const c = `${base.slice(0, 2)}${hash}~${n}${suffix}`;
    if (!used.has(c)) return take(used, c);
  }
  return undefined;
}

/** Win32 device names (CON, PRN, AUX, NUL, COM1-9, LPT1-9), alone or before a dot: Windows (and ntfs-3g's 8.3 check) refuse them. */
export function isReserved(name: string): boolean {
  return /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\.|$)/i.test(name);
}

function take(used: Set<string>, name: string): string {
  used.add(name);
  return name;
}

/**
 * File sizes: about half resident (64-700 B, under the ~700 B an MFT record leaves for $DATA), most
 * of the rest 0.7-6 KiB, a few up to 24 KiB and a rare 48-160 KiB: the listing cost does not depend
 * on data size, the build time does.
 */
export function sizeOf(prng: Prng): number {
  const r = prng.next() % 1000;
  if (r < 550) return prng.int(64, 700);
  if (r < 960) return prng.int(701, 6144);
  if (r < 998) return prng.int(6145, 24576);
  return prng.int(49152, 163840);
}

/** Builds a {@link LargePlan}. */
export class Planner {
  readonly prng: Prng;
  private readonly dirMap = new Map<string, LargeDir>();
  /** Upper-cased long and DOS names per directory. */
  private readonly namesIn = new Map<string, Set<string>>();
  readonly files: LargeFile[] = [];
  private readonly fileSet = new Set<string>();
  readonly links: LargePlan['links'] = [];
  readonly deleted: LargePlan['deleted'] = [];

  constructor(seed: number, private readonly dosNames: boolean) {
    this.prng = new Prng(seed);
  }

  /** `count` hex digits (lower case). */
  hex(count: number): string {
    let s = '';
    while (s.length < count) s += (this.prng.next() >>> 0).toString(16).padStart(8, '0');
    return s.slice(0, count);
  }

  /** A `{XXXXXXXX-XXXX-...}` GUID string (upper case). */
  guid(): string {
    const h = this.hex(32).toUpperCase();
    return `{${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}}`;
  }

  private used(dir: string): Set<string> {
    let s = this.namesIn.get(dir);
    if (!s) this.namesIn.set(dir, (s = new Set()));
    return s;
  }

  /** Whether `name` is free in `dir` (case-insensitively). */
  free(dir: string, name: string): boolean {
    return !this.used(dir).has(name.toUpperCase());
  }

  /** Ensures directory `p` and its parents; returns `p`. `dos` false: no 8.3 name for the new ones. */
  dir(p: string, dos = true): string {
    if (p === '' || p === '/' || this.dirMap.has(p)) return p;
    const at = p.lastIndexOf('/');
    const parent = p.slice(0, at);
    this.dir(parent, dos);
    const name = p.slice(at + 1);
    if (isReserved(name)) throw new Error(`reserved directory name planned: ${p}`);
    const used = this.used(parent || '/');
    used.add(name.toUpperCase());
    const d: LargeDir = { path: p };
    if (dos && this.dosNames) {
      const s = shortName(name, used);
      if (s) d.dosName = s;
    }
    this.dirMap.set(p, d);
    return p;
  }

  /** Adds file `dir/name` unless the name is taken; returns its path or undefined. */
  file(dir: string, name: string, size = sizeOf(this.prng), o: { dos?: boolean; streams?: LargeFile['streams']; sparseSize?: number } = {}): string | undefined {
    this.dir(dir);
    const used = this.used(dir || '/');
    if (used.has(name.toUpperCase()) || isReserved(name)) return undefined;
    used.add(name.toUpperCase());
    const f: LargeFile = { path: `${dir}/${name}`, size };
    if ((o.dos ?? true) && this.dosNames) {
      const s = shortName(name, used);
      if (s) f.dosName = s;
    }
    if (o.streams) f.streams = o.streams;
    if (o.sparseSize) f.sparseSize = o.sparseSize;
    this.files.push(f);
    this.fileSet.add(f.path);
    return f.path;
  }

  /** Up to `count` files named by `gen` in `dir` (names already taken are skipped). */
  many(dir: string, count: number, gen: (i: number) => string, size?: () => number): string[] {
    const out: string[] = [];
    for (let i = 0, guard = 0; out.length < count && guard < count * 20; guard++, i++) {
      const p = this.file(dir, gen(i), size ? size() : undefined);
      if (p) out.push(p);
    }
    return out;
  }

  /** Adds a hard link `dir/name` to the planned file `target` (no 8.3 name: Windows gives links none). */
  link(target: string, dir: string, name: string): boolean {
    if (!this.fileSet.has(target)) throw new Error(`link target ${target} not planned`);
    this.dir(dir);
    const used = this.used(dir || '/');
    if (used.has(name.toUpperCase()) || isReserved(name)) return false;
    used.add(name.toUpperCase());
    this.links.push({ target, path: `${dir}/${name}` });
    return true;
  }

  /** Marks a planned file or directory for deletion at the end. */
  remove(path: string, dir = false): void {
    this.deleted.push({ path, dir });
  }

  /** The finished plan; files with links lose their 8.3 names (ntfs-3g refuses one on a multi-link file). */
  plan(): LargePlan {
    const linked = new Set(this.links.map((l) => l.target));
    for (const f of this.files) if (f.dosName && linked.has(f.path)) delete f.dosName;
    return { dirs: [...this.dirMap.values()], files: this.files, links: this.links, deleted: this.deleted };
  }
}
