/**
 * Builds the installable package of the CLI (`npm run pack -w cli`, after `tsc -b`): hosts and pods
 * that run a fleet do not have the repository, only Node 20.
 *
 *   cli/pack/package.json          name @coldfix/cli, bin coldfix, no dependencies to fetch
 *   cli/pack/bin/coldfix.js        launcher: points the batch pool at the bundled worker, runs the CLI
 *   cli/pack/dist/coldfix.cjs      the CLI, every @coldfix package and npm dependency (commander, bullmq,
 *                                  ioredis, cli-progress, ajv, yaml) in one CommonJS script (rolldown)
 *   cli/pack/dist/batch-worker.cjs the piscina worker (one image per task), bundled the same way
 *   cli/pack/node_modules/piscina  shipped inside the tarball (bundleDependencies): piscina starts its
 *                                  threads from its own worker file, so it cannot live inside a bundle
 *
 * Then `npm pack ./cli/pack` gives the tarball; `npm install -g coldfix-cli-0.1.0.tgz` installs it with
 * nothing from a registry. Left out on purpose: the optional native key-stretch addon (the WebAssembly
 * stretch gives the same keys) and msgpackr's optional native extension (its JavaScript path is used).
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Rolldown {
  rolldown(options: Record<string, unknown>): Promise<{ write(options: Record<string, unknown>): Promise<unknown>; close?(): Promise<void> }>;
}

const cliDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = join(cliDir, '..');
const packDir = join(cliDir, 'pack');

/** `createRequire(import.meta.url)('ajv')` made a plain require, so the bundler takes the package in. */
const bundleLazyRequires = {
  name: 'coldfix-pack-lazy-requires',
  transform(code: string): string | null {
    if (!code.includes('requireLazily(')) return null;
    return code.replace(/requireLazily\((['"])(ajv|yaml)\1\)/g, (_m, _q, name: string) => `require(${JSON.stringify(name)})`);
  },
};

async function bundle(rolldown: Rolldown, input: string, file: string): Promise<void> {
  const build = await rolldown.rolldown({
    input,
    platform: 'node',
    // piscina ships beside the bundle; msgpackr-extract is an optional native addon msgpackr can do without.
    external: [/^node:/, 'piscina', 'msgpackr-extract'],
    logLevel: 'warn',
    plugins: [bundleLazyRequires],
  });
  await build.write({ file, format: 'cjs', codeSplitting: false, sourcemap: false, comments: { legal: true, annotation: false, jsdoc: false } });
  await build.close?.();
}

const launcher = `#!/usr/bin/env node
'use strict';
// The installed coldfix: the bundled CLI, with the batch pool's worker file beside it.
const { join } = require('node:path');
if (!process.env.COLDFIX_BATCH_WORKER) process.env.COLDFIX_BATCH_WORKER = join(__dirname, '../dist/batch-worker.cjs');
Promise.resolve()
  .then(() => require('../dist/coldfix.cjs').main(process.argv))
  .catch((error) => {
    process.stderr.write(\`coldfix: internal error: \${(error && error.stack) || error}\\n\`);
    process.exit(1);
  });
`;

async function main(): Promise<void> {
  const rolldown = (await import('rolldown')) as Rolldown;
  await rm(packDir, { recursive: true, force: true });
  await mkdir(join(packDir, 'bin'), { recursive: true });
  await bundle(rolldown, join(cliDir, 'dist/main.js'), join(packDir, 'dist/coldfix.cjs'));
  await bundle(rolldown, join(repoDir, 'packages/batch/dist/worker.js'), join(packDir, 'dist/batch-worker.cjs'));
  await writeFile(join(packDir, 'bin/coldfix.js'), launcher, { mode: 0o755 });
  const piscina = JSON.parse(await readFile(join(repoDir, 'node_modules/piscina/package.json'), 'utf8')) as { version: string };
  await cp(join(repoDir, 'node_modules/piscina'), join(packDir, 'node_modules/piscina'), { recursive: true, filter: (src) => !/[/\\](test|benchmark|docs)([/\\]|$)/.test(src.slice(repoDir.length)) });
  const cli = JSON.parse(await readFile(join(cliDir, 'package.json'), 'utf8')) as { version: string };
  const manifest = {
    name: '@coldfix/cli',
    version: cli.version,
    description: 'coldfix: offline disk-image forensic and repair toolkit (bundled CLI: batch, worker, repair, verify, …)',
    license: 'UNLICENSED',
    bin: { coldfix: 'bin/coldfix.js' },
    files: ['bin', 'dist'],
    engines: { node: '>=20.19' },
    dependencies: { piscina: piscina.version },
    bundleDependencies: ['piscina'],
  };
  await writeFile(join(packDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`coldfix pack: ${packDir} (npm pack ./cli/pack)\n`);
}

await main();
