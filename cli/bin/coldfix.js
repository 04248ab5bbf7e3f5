#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in ../dist (built by `npm install` / `npm run build`).
// When `npm run bundle -w cli` has built ../dist/coldfix.bundle.js and every file it was built from
// is unchanged (size and mtime, listed in coldfix.bundle.json), that one module is loaded instead:
// the same code, without resolving and compiling ~160 modules. COLDFIX_NO_BUNDLE=1 forces ../dist/main.js.
import { readFileSync, statSync } from 'node:fs';

function entry() {
  if (process.env.COLDFIX_NO_BUNDLE || process.argv.slice(2).includes('batch')) return '../dist/main.js';
  try {
    const cliDir = new URL('../', import.meta.url);
    const manifest = JSON.parse(readFileSync(new URL('dist/coldfix.bundle.json', cliDir), 'utf8'));
    if (manifest.version !== 1 || !Array.isArray(manifest.inputs) || manifest.inputs.length === 0) return '../dist/main.js';
    for (const input of manifest.inputs) {
      const info = statSync(new URL(input.path, cliDir));
      if (info.size !== input.size || info.mtimeMs !== input.mtimeMs) return '../dist/main.js';
    }
    statSync(new URL('dist/coldfix.bundle.js', cliDir));
    return '../dist/coldfix.bundle.js';
  } catch {
    return '../dist/main.js';
  }
}

import(entry()).then((m) => m.main(process.argv)).catch((error) => {
  process.stderr.write(`coldfix: internal error: ${error?.stack ?? error}\n`);
  process.exit(1);
});
