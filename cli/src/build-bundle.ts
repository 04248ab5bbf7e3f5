/**
 * Builds the CLI's fast start-up path (all optional: without it the CLI runs from dist/main.js):
 *
 *   cli/dist/coldfix.bundle.cjs    the compiled CLI, the @coldfix packages and commander in one CommonJS
 *                                  script (rolldown), so start-up neither resolves nor compiles ~170
 *                                  modules through the ES module loader;
 *   cli/dist/coldfix.bundle.cache  V8's code cache for that script, every function compiled (see below);
 *   cli/dist/coldfix.bundle.json   the manifest: the bundle's and the cache's size and mtime, and a stamp
 *                                  (size, mtime) of every build output the bundle was made from.
 *
 *   npm run bundle -w cli        (after `tsc -b`)
 *
 * Measured on the 2-core machines here (`node cli/bin/coldfix.js --version`, median of 15, node -e 0 = 116 ms):
 * the ES module bundle with a per-file staleness check took 297 ms; the CommonJS script with a code cache 158 ms.
 *
 * The code cache: V8 compiles functions lazily, on first call, and a cache made after compiling only
 * the top level holds only that. Compiling the script here with V8's `--no-lazy` makes the cache hold
 * bytecode for every function (about 0.9 MB), so a repair's hundreds of first calls are not compiled at
 * run time either. `--lazy` is restored before the cache is written: V8 accepts a cache only when the
 * flags it was made with hash the same as the running ones (a node started with other V8 flags, or a
 * different node, rejects it and compiles as usual; the launcher then runs the same code).
 *
 * Staleness: tsc -b rewrites a project's dist/.tsbuildinfo whenever it re-emits any of its files, so the
 * manifest records those (and the package.json of each bundled npm package) rather than ~170 files; the
 * launcher (cli/bin/coldfix.js) uses the bundle only while every stamp and the bundle and cache
 * themselves are unchanged. `coldfix batch` and `coldfix worker` always run from dist/ (its worker pool loads the packages
 * from node_modules; mixing those with bundled copies would split the error classes).
 *
 * `import.meta.url` keeps meaning the module's own file: each occurrence becomes that file's URL relative
 * to the bundle, so code that finds files beside itself (the bitlocker native stretch addon, ajv and yaml
 * through createRequire) finds them where it did before bundling.
 *
 * The bundler is rolldown (npm registry package; its native binding ships inside a registry package,
 * nothing is downloaded at install). It is loaded by name at run time: when it is not installed, this
 * prints why and exits 0, and the CLI keeps running from dist/.
 */
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import Module from 'node:module';
import { setFlagsFromString } from 'node:v8';

interface RolldownOutputChunk {
  type: 'chunk' | 'asset';
  moduleIds?: string[];
}
interface RolldownModule {
  rolldown(options: Record<string, unknown>): Promise<{ write(options: Record<string, unknown>): Promise<{ output: RolldownOutputChunk[] }>; close?(): Promise<void> }>;
}

/** A file's identity as the launcher checks it: path relative to the cli folder, size, mtime. */
export interface FileStamp {
  path: string;
  size: number;
  mtimeMs: number;
}

/** cli/dist/coldfix.bundle.json. */
export interface BundleManifest {
  version: 2;
  bundle: FileStamp;
  /** How the launcher reads the bundle: `latin1` when it is pure ASCII (no UTF-8 decoding at start-up). */
  encoding: 'latin1' | 'utf8';
  /** Absent when V8 could not produce a cache. */
  codeCache?: FileStamp;
  /** One per bundled project (its dist/.tsbuildinfo) and per bundled npm package (its package.json). */
  stamps: FileStamp[];
}

const cliDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundlePath = join(cliDir, 'dist/coldfix.bundle.cjs');
const cachePath = join(cliDir, 'dist/coldfix.bundle.cache');
const manifestPath = join(cliDir, 'dist/coldfix.bundle.json');
/** Earlier layouts, removed so nothing stale lies around. */
const formerOutputs = [join(cliDir, 'dist/coldfix.bundle.js')];

async function main(): Promise<void> {
  const name = 'rolldown';
  let bundler: RolldownModule;
  try {
    bundler = (await import(name)) as RolldownModule;
  } catch {
    process.stdout.write('coldfix bundle: rolldown is not installed; the CLI runs from dist/ (nothing built)\n');
    return;
  }
  // The manifest goes first: a bundle without a matching manifest is never used.
  await rm(manifestPath, { force: true });
  for (const path of [cachePath, ...formerOutputs]) await rm(path, { force: true });
  const build = await bundler.rolldown({
    input: join(cliDir, 'dist/main.js'),
    platform: 'node',
    // Node built-ins; the third-party packages loaded lazily (ajv, yaml, cli-progress) or only by batch (piscina); the batch pool and queue (see above).
    external: [/^node:/, 'ajv', 'yaml', 'piscina', 'cli-progress', /^@coldfix\/batch(\/|$)/],
    logLevel: 'warn',
    plugins: [
      {
        name: 'coldfix-own-import-meta-url',
        transform(code: string, id: string): string | null {
          if (!code.includes('import.meta.url')) return null;
          const fromBundle = relative(dirname(bundlePath), id).split(sep).join('/');
          return code.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`);
        },
      },
    ],
  });
  // Comments dropped (legal notices kept): a quarter less source to read and hold at every start.
  const { output } = await build.write({ file: bundlePath, format: 'cjs', codeSplitting: false, sourcemap: false, comments: { legal: true, annotation: false, jsdoc: false } });
  await build.close?.();
  const ids = output.flatMap((chunk) => chunk.moduleIds ?? []).filter((id) => !id.startsWith('\0') && !id.startsWith('node:'));
  const stampPaths = new Set<string>();
  for (const id of ids) stampPaths.add(await stampFor(id));
  const stamps: FileStamp[] = [];
  for (const path of [...stampPaths].sort()) stamps.push(await fileStamp(path));

  const encoding = await asciiOnly(bundlePath);
  const codeCache = await writeCodeCache(encoding);
  const manifest: BundleManifest = { version: 2, bundle: await fileStamp(bundlePath), encoding, ...(codeCache ? { codeCache } : {}), stamps };
  await writeFile(manifestPath, `${JSON.stringify(manifest)}\n`);
  process.stdout.write(
    `coldfix bundle: ${relative(process.cwd(), bundlePath)} from ${ids.length} modules (${stamps.length} stamps)` +
      `${codeCache ? `, code cache ${(codeCache.size / 1024).toFixed(0)} KiB` : ', no code cache'}\n`,
  );
}

/**
 * The file whose change means `id` may have changed: the dist/.tsbuildinfo of our project that emitted it,
 * or the package.json of the npm package it belongs to.
 */
async function stampFor(id: string): Promise<string> {
  const parts = id.split(sep);
  const nodeModules = parts.lastIndexOf('node_modules');
  if (nodeModules >= 0) {
    const scoped = parts[nodeModules + 1]?.startsWith('@');
    return parts.slice(0, nodeModules + (scoped ? 3 : 2)).concat('package.json').join(sep);
  }
  const dist = parts.lastIndexOf('dist');
  if (dist < 0) throw new Error(`coldfix bundle: ${id} is neither a build output nor an npm package`);
  const buildInfo = parts.slice(0, dist + 1).concat('.tsbuildinfo').join(sep);
  await stat(buildInfo);
  return buildInfo;
}

async function fileStamp(path: string): Promise<FileStamp> {
  const info = await stat(path);
  return { path: relative(cliDir, path).split(sep).join('/'), size: info.size, mtimeMs: info.mtimeMs };
}

/**
 * Rewrites the bundle's non-ASCII characters (in comments and messages: `→`, `≤`, `…`) as `\uXXXX`
 * escapes, which mean the same in strings, templates, regular expressions and comments, so the launcher
 * can read it as a one-byte string. Leaves the file as it is (`utf8`) where that would not hold: a
 * character outside the BMP, or one right after a backslash.
 */
async function asciiOnly(path: string): Promise<'latin1' | 'utf8'> {
  const code = await readFile(path, 'utf8');
  if (/\\[^\x00-\x7f]|[^\u0000-\uffff]|[\ud800-\udfff]/u.test(code)) return 'utf8';
  await writeFile(path, code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  return 'latin1';
}

/** Compiles the bundle with every function eager and writes V8's code cache; null when V8 declines. */
async function writeCodeCache(encoding: 'latin1' | 'utf8'): Promise<FileStamp | null> {
  const source = await readFile(bundlePath, encoding);
  setFlagsFromString('--no-lazy');
  let script: Script;
  try {
    // The same wrapper and file name as the launcher's, so V8 sees the same source.
    script = new Script(Module.wrap(source), { filename: bundlePath });
  } finally {
    setFlagsFromString('--lazy');
  }
  // After --lazy is back: the cache carries the hash of the flags it is made under.
  const data = script.createCachedData();
  if (data.length === 0) return null;
  await writeFile(cachePath, data);
  return fileStamp(cachePath);
}

await main();
