/**
 * Names from an image are untrusted: a file name can hold `..`, slashes of either
 * kind, NULs, control characters, reserved device names, or be thousands of
 * characters long. Every name used to build a path under a target folder goes
 * through `safeComponent`, and every final path is checked by `resolveInside`.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { PreconditionError } from '@coldfix/io';

const reservedNames = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/** A single safe path component derived from an untrusted name (never empty, never `.`/`..`). */
export function safeComponent(name: string, maxLength = 120): string {
  let out = '';
  for (const ch of name) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f || '/\\:*?"<>|'.includes(ch) || (code >= 0xd800 && code <= 0xdfff)) out += '_';
    else out += ch;
  }
  out = out.replace(/^[.\s]+/, (m) => '_'.repeat(m.length)).replace(/[.\s]+$/, (m) => '_'.repeat(m.length));
  if (out === '' ) out = '_';
  if (reservedNames.test(out)) out = `_${out}`;
  if (out.length > maxLength) out = `${out.slice(0, maxLength - 9)}~${hash8(name)}`;
  return out;
}

/** Joins safe components under `root` and proves the result stays inside it. */
export function resolveInside(root: string, ...components: string[]): string {
  const base = resolve(root);
  const target = resolve(base, ...components.map((c) => safeComponent(c)));
  const rel = relative(base, target);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new PreconditionError(`refusing to write outside ${base}: ${JSON.stringify(components)}`, {
      code: 'PATH_ESCAPE',
      layer: 'repair',
      details: { root: base },
    });
  }
  return target;
}

function hash8(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
