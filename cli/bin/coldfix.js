#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in ../dist (built by `npm install` / `npm run build`).
import('../dist/main.js').then((m) => m.main(process.argv)).catch((error) => {
  process.stderr.write(`coldfix: internal error: ${error?.stack ?? error}\n`);
  process.exit(1);
});
