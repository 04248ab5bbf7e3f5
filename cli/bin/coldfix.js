#!/usr/bin/env node
'use strict';
// Launcher (CommonJS: an ES module entry point costs the module loader's start-up on every command).
// The CLI is compiled to ../dist (npm run build). When `npm run bundle -w cli` has built
// ../dist/coldfix.bundle.cjs and everything it was made from is unchanged (coldfix.bundle.json), that one
// script runs instead, with V8's code cache: the same code, about 0.14 s sooner on the machines here
// (docs/cli.md, "Start-up"). Otherwise, for `coldfix batch` and `coldfix worker`, and with COLDFIX_NO_BUNDLE=1: ../dist/main.js.
// COLDFIX_DEBUG_LAUNCH=1 says on stderr which one runs and whether V8 accepted the code cache.
const { readFileSync, statSync } = require('node:fs');
const { join, dirname } = require('node:path');

const cliDir = join(__dirname, '..');

/** The bundle manifest when the bundle is current, else null. */
function currentBundle() {
  if (process.env.COLDFIX_NO_BUNDLE || process.argv.slice(2).some((a) => a === 'batch' || a === 'worker')) return null;
  try {
    const manifest = JSON.parse(readFileSync(join(cliDir, 'dist/coldfix.bundle.json'), 'latin1'));
    if (manifest.version !== 2 || !Array.isArray(manifest.stamps) || manifest.stamps.length === 0) return null;
    const files = [manifest.bundle, ...manifest.stamps, ...(manifest.codeCache ? [manifest.codeCache] : [])];
    for (const file of files) {
      const info = statSync(join(cliDir, file.path), { throwIfNoEntry: false });
      if (!info || info.size !== file.size || info.mtimeMs !== file.mtimeMs) return null;
    }
    return manifest;
  } catch {
    return null;
  }
}

function runBundle(manifest) {
  const vm = require('node:vm');
  const Module = require('node:module');
  const filename = join(cliDir, manifest.bundle.path);
  const source = readFileSync(filename, manifest.encoding === 'latin1' ? 'latin1' : 'utf8');
  const cachedData = manifest.codeCache ? readFileSync(join(cliDir, manifest.codeCache.path)) : undefined;
  // Same wrapper and file name as cli/src/build-bundle.ts used to make the cache.
  const script = new vm.Script(Module.wrap(source), {
    filename,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (process.env.COLDFIX_DEBUG_LAUNCH) {
    const cache = !cachedData ? 'no code cache' : script.cachedDataRejected ? 'code cache rejected' : 'code cache accepted';
    process.stderr.write(`coldfix launcher: ${manifest.bundle.path} (${cache})\n`);
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(filename), module, filename, dirname(filename));
  return module.exports;
}

function internalError(error) {
  process.stderr.write(`coldfix: internal error: ${(error && error.stack) || error}\n`);
  process.exit(1);
}

const manifest = currentBundle();
if (manifest) {
  let cli;
  try {
    cli = runBundle(manifest);
  } catch (error) {
    internalError(error);
  }
  Promise.resolve(cli.main(process.argv)).catch(internalError);
} else {
  if (process.env.COLDFIX_DEBUG_LAUNCH) process.stderr.write('coldfix launcher: dist/main.js\n');
  import('../dist/main.js').then((cli) => cli.main(process.argv)).catch(internalError);
}
