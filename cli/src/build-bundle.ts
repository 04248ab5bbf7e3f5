/**
 * Builds cli/dist/coldfix.bundle.js: the compiled CLI and the @coldfix packages it imports in one ES
 * module, so that start-up does not resolve, read and compile ~160 modules one by one (about
 * 0.17 s CPU of every command on the 2-core machines here: measured in bench/ repair figures).
 *
 *   npm run bundle -w cli        (after `tsc -b`; optional: without it the CLI runs from dist/)
 *
 * The bundler is rolldown (npm registry package; its native binding ships inside a registry
 * package, nothing is downloaded at install). It is loaded by name at run time: when it is not
 * installed, this prints why and exits 0, and the CLI keeps running from dist/.
 *
 * `import.meta.url` keeps meaning the module's own file: each occurrence becomes that file's URL
 * relative to the bundle, so code that finds files beside itself (the bitlocker native stretch addon,
 * ajv and yaml through createRequire) finds them where it did before bundling.
 *
 * Staleness: cli/dist/coldfix.bundle.json lists every input file with its size and mtime; the
 * launcher (cli/bin/coldfix.js) uses the bundle only while every input is unchanged, otherwise
 * dist/main.js. `coldfix batch` always runs from dist/ (its worker pool loads the packages from
 * node_modules; mixing those with bundled copies would split the error classes).
 */
import { writeFile, stat, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

interface RolldownOutputChunk {
  type: 'chunk' | 'asset';
  moduleIds?: string[];
}
interface RolldownModule {
  rolldown(options: Record<string, unknown>): Promise<{ write(options: Record<string, unknown>): Promise<{ output: RolldownOutputChunk[] }>; close?(): Promise<void> }>;
}

/** Bundle inputs as recorded in the manifest: paths relative to the cli folder. */
export interface BundleManifest {
  version: 1;
  inputs: { path: string; size: number; mtimeMs: number }[];
}

const cliDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundlePath = join(cliDir, 'dist/coldfix.bundle.js');
const manifestPath = join(cliDir, 'dist/coldfix.bundle.json');

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
  const build = await bundler.rolldown({
    input: join(cliDir, 'dist/main.js'),
    platform: 'node',
    // Node built-ins; the third-party packages (loaded lazily or CommonJS); the batch pool (see above).
    external: [/^node:/, 'commander', 'ajv', 'yaml', 'piscina', '@coldfix/batch'],
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
  const { output } = await build.write({ file: bundlePath, format: 'esm', codeSplitting: false, sourcemap: false });
  await build.close?.();
  const ids = output.flatMap((chunk) => chunk.moduleIds ?? []).filter((id) => !id.startsWith('\0') && !id.startsWith('node:'));
  const inputs: BundleManifest['inputs'] = [];
  for (const id of ids) {
    const info = await stat(id);
    inputs.push({ path: relative(cliDir, id), size: info.size, mtimeMs: info.mtimeMs });
  }
  const manifest: BundleManifest = { version: 1, inputs };
  await writeFile(manifestPath, `${JSON.stringify(manifest)}\n`);
  process.stdout.write(`coldfix bundle: ${relative(process.cwd(), bundlePath)} from ${inputs.length} modules\n`);
}

await main();
