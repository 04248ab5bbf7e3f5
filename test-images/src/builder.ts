/**
 * The cached catalog builder: each scenario lives in `cache/<name>/` with `entry.json` holding its
 * cache key; a scenario is rebuilt only when its key (generator version, parameters, dependencies'
 * keys) changed or its files are missing. Builds happen in a scratch folder renamed into place, under
 * a lock file so parallel test workers never build the same thing twice.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Catalog, CatalogEntry } from './catalog.js';
import type { Scenario } from './scenario.js';
import { log } from './util/run.js';
import { scenarios } from './scenarios/index.js';
import { withFileLock } from './util/file-lock.js';

/** Absolute path of the cache folder (`test-images/cache`, or `$COLDFIX_TEST_IMAGES_CACHE`). */
export function cacheDir(): string {
  const env = process.env['COLDFIX_TEST_IMAGES_CACHE'];
  if (env) return resolve(env);
  // src/builder.ts and dist/builder.js both sit one level under the package folder.
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', 'cache');
}

function byName(): Map<string, Scenario> {
  return new Map(scenarios.map((s) => [s.name, s]));
}

function keyOf(s: Scenario, all: Map<string, Scenario>, memo = new Map<string, string>()): string {
  const known = memo.get(s.name);
  if (known) return known;
  const deps = s.deps.map((d) => {
    const ds = all.get(d);
    if (!ds) throw new Error(`scenario ${s.name} depends on unknown ${d}`);
    return [d, keyOf(ds, all, memo)];
  });
  const key = createHash('sha256')
    .update(JSON.stringify({ name: s.name, version: s.version, params: s.params, deps }))
    .digest('hex')
    .slice(0, 16);
  memo.set(s.name, key);
  return key;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

function absolutize(entry: CatalogEntry, dir: string): CatalogEntry {
  const abs = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  return {
    ...entry,
    image: abs(entry.image),
    volumes: entry.volumes.map((v) => (v.filesPath ? { ...v, filesPath: abs(v.filesPath) } : v)),
  };
}

async function readEntry(name: string): Promise<CatalogEntry | undefined> {
  try {
    const raw = JSON.parse(await readFile(join(cacheDir(), name, 'entry.json'), 'utf8')) as CatalogEntry;
    return absolutize(raw, cacheDir());
  } catch {
    return undefined;
  }
}

async function isFresh(s: Scenario, key: string): Promise<CatalogEntry | undefined> {
  const e = await readEntry(s.name);
  if (!e || e.key !== key) return undefined;
  if (!(await exists(e.image))) return undefined;
  for (const v of e.volumes) if (v.filesPath && !(await exists(v.filesPath))) return undefined;
  return e;
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const dir = cacheDir();
  await mkdir(dir, { recursive: true });
  return withFileLock(join(dir, '.lock'), async () => {
    await removeStaleScratch(dir);
    return fn();
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes `.build-*` / `.tmp-*` / `.old-*` folders and empty `.mnt/*` points left by builders that died. */
async function removeStaleScratch(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = /^\.(?:build|tmp|old)-.+-(\d+)-\d+$/.exec(name);
    if (m && !pidAlive(Number(m[1]))) await rm(join(dir, name), { recursive: true, force: true });
  }
  const mnt = join(dir, '.mnt');
  for (const name of await readdir(mnt).catch(() => [] as string[])) {
    const m = /-(\d+)-\d+$/.exec(name);
    // rmdir only: a directory still holding a mount (or files) is left alone.
    if (m && !pidAlive(Number(m[1]))) await rmdir(join(mnt, name)).catch(() => undefined);
  }
}

/** Options for {@link ensureImages}. */
export interface EnsureOptions {
  /** Also build benchmark-only scenarios when no names are given. */
  bench?: boolean;
  /** Rebuild even when fresh. */
  force?: boolean;
}

/**
 * Builds (or finds in the cache) the named scenarios and their dependencies (default: every
 * non-benchmark scenario), rewrites `cache/catalog.json`, and returns the catalog.
 * @throws Error for an unknown scenario name or a failed build (FUSE missing, tool failure).
 */
export async function ensureImages(names?: string[], opts: EnsureOptions = {}): Promise<Catalog> {
  const all = byName();
  const wanted = names?.length ? names : scenarios.filter((s) => !s.bench || opts.bench).map((s) => s.name);
  for (const n of wanted) if (!all.has(n)) throw new Error(`unknown test image scenario ${n}; known: ${[...all.keys()].join(', ')}`);
  // Fast path without the lock: everything already fresh.
  if (!opts.force) {
    const fresh = new Map<string, CatalogEntry>();
    let allFresh = true;
    for (const s of topo(wanted, all)) {
      const e = await isFresh(s, keyOf(s, all));
      if (e) fresh.set(s.name, e);
      else allFresh = false;
    }
    if (allFresh) return loadCatalog(fresh);
  }
  return withLock(async () => {
    const built = new Map<string, CatalogEntry>();
    const forced = new Set(opts.force ? wanted : []);
    for (const s of topo(wanted, all)) {
      const key = keyOf(s, all);
      const fresh = forced.has(s.name) ? undefined : await isFresh(s, key);
      if (fresh) {
        built.set(s.name, fresh);
        continue;
      }
      built.set(s.name, await buildOne(s, key, built));
    }
    await writeCatalog();
    return loadCatalog();
  });
}

function topo(names: string[], all: Map<string, Scenario>): Scenario[] {
  const out: Scenario[] = [];
  const seen = new Set<string>();
  const visit = (n: string, depth: number) => {
    if (depth > 32) throw new Error(`dependency cycle at ${n}`);
    if (seen.has(n)) return;
    const s = all.get(n)!;
    for (const d of s.deps) visit(d, depth + 1);
    seen.add(n);
    out.push(s);
  };
  for (const n of names) visit(n, 0);
  return out;
}

let mountCounter = 0;

async function buildOne(s: Scenario, key: string, built: Map<string, CatalogEntry>): Promise<CatalogEntry> {
  const root = cacheDir();
  const tag = `${s.name}-${process.pid}-${Date.now()}`;
  const outDir = join(root, `.build-${tag}`);
  const tmpDir = join(root, `.tmp-${tag}`);
  await mkdir(outDir, { recursive: true });
  await mkdir(tmpDir, { recursive: true });
  const t0 = Date.now();
  log(`${s.name}: building (key ${key})`);
  try {
    const result = await s.build({
      outDir,
      tmpDir,
      mountPoint: (label) => join(root, '.mnt', `${label}-${process.pid}-${++mountCounter}`),
      dep: (n) => {
        const e = built.get(n);
        if (!e) throw new Error(`${s.name}: dependency ${n} not built`);
        return e;
      },
      log: (m) => log(`${s.name}: ${m}`),
    });
    const final = join(root, s.name);
    const rel = (p: string) => relative(root, p.startsWith(outDir) ? join(final, relative(outDir, p)) : p);
    const entry: CatalogEntry = {
      name: s.name,
      description: s.description,
      key,
      ...result,
      image: rel(result.image),
      volumes: result.volumes.map((v) => (v.filesPath ? { ...v, filesPath: rel(v.filesPath) } : v)),
      buildMs: Date.now() - t0,
      createdAt: new Date().toISOString(),
    };
    await writeFile(join(outDir, 'entry.json'), `${JSON.stringify(entry, null, 1)}\n`);
    // Swap the complete build in (under the lock): an old folder is renamed aside first, so `final` is
    // only ever absent between two renames, never half-written or half-removed, then the old one goes.
    const old = join(root, `.old-${tag}`);
    await rename(final, old).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await rename(outDir, final);
    await rm(old, { recursive: true, force: true });
    log(`${s.name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return absolutize(entry, root);
  } catch (e) {
    if (!process.env["COLDFIX_TEST_IMAGES_KEEP_FAILED"]) await rm(outDir, { recursive: true, force: true });
    throw e;
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}

async function writeCatalog(): Promise<void> {
  const entries: Record<string, CatalogEntry> = {};
  for (const s of scenarios) {
    try {
      entries[s.name] = JSON.parse(await readFile(join(cacheDir(), s.name, 'entry.json'), 'utf8')) as CatalogEntry;
    } catch {
      // not built
    }
  }
  const tmp = join(cacheDir(), `.catalog-${process.pid}.json`);
  await writeFile(tmp, `${JSON.stringify({ cacheDir: '.', entries }, null, 1)}\n`);
  await rename(tmp, join(cacheDir(), 'catalog.json'));
}

/**
 * Reads the catalog of the scenarios present in the cache (paths made absolute). Does not build:
 * call {@link ensureImages} first. `known` entries (already read) are not read again.
 */
export async function loadCatalog(known?: Map<string, CatalogEntry>): Promise<Catalog> {
  const entries: Record<string, CatalogEntry> = {};
  for (const s of scenarios) {
    const e = known?.get(s.name) ?? (await readEntry(s.name));
    if (e) entries[s.name] = e;
  }
  return { cacheDir: cacheDir(), entries };
}
