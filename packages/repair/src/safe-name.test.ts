import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { join, resolve, sep } from 'node:path';
import { resolveInside, safeComponent } from './safe-name.js';

describe('safeComponent / resolveInside', () => {
  it('neutralises traversal, separators and reserved names', () => {
    expect(safeComponent('..')).toBe('__');
    expect(safeComponent('../../etc/passwd')).toBe('___.._etc_passwd');
    expect(safeComponent('a\\b')).toBe('a_b');
    expect(safeComponent('CON')).toBe('_CON');
    expect(safeComponent('')).toBe('_');
    expect(safeComponent('x'.repeat(500)).length).toBeLessThanOrEqual(120);
  });
  it('never escapes the root, whatever the names', () => {
    const root = resolve('/tmp/quarantine-root');
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 5 }), (names) => {
        const target = resolveInside(root, ...names);
        return target.startsWith(root + sep) && target !== root;
      }),
    );
    expect(resolveInside(root, '..', '..', 'x')).toBe(join(root, '__', '__', 'x'));
  });
});
