import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { matchWildcard } from './wildcard.js';
import { parseRules } from './load-rules.js';
import { classify, crowdstrike291, filetimeOf } from './rule.js';

const ascii = (s: string) => s.toUpperCase();

describe('matchWildcard', () => {
  it('matches Windows wildcards case-insensitively', () => {
    expect(matchWildcard('C-00000291*.sys', 'C-00000291-00000000-00000032.sys', ascii)).toBe(true);
    expect(matchWildcard('C-00000291*.sys', 'c-00000291-00000000-00000032.SYS', ascii)).toBe(true);
    expect(matchWildcard('C-00000291*.sys', 'C-00000290-00000000-00000032.sys', ascii)).toBe(false);
    expect(matchWildcard('C-00000291*.sys', 'C-00000291.sys.bak', ascii)).toBe(false);
    expect(matchWildcard('C-00000291*.sys', 'C-00000291.sys', ascii)).toBe(true);
    expect(matchWildcard('a?c', 'abc', ascii)).toBe(true);
    expect(matchWildcard('a?c', 'ac', ascii)).toBe(false);
    expect(matchWildcard('*', '', ascii)).toBe(true);
    // Names holding wildcard characters themselves (ntfs-3g allows them).
    expect(matchWildcard('C-00000291*.sys', 'C-00000291*?<>|".sys', ascii)).toBe(true);
    expect(matchWildcard('a*b', 'a*xb', ascii)).toBe(true);
    expect(matchWildcard('a?c', 'a?c', ascii)).toBe(true);
  });
  it('agrees with an equivalent regular expression on random inputs', () => {
    const alphabet = fc.constantFrom('a', 'b', '*', '?');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 8 }), fc.array(fc.constantFrom('a', 'b', '*', '?'), { maxLength: 10 }), (p, n) => {
        const pattern = p.join('');
        const name = n.join('');
        const regex = new RegExp(`^${pattern.replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
        expect(matchWildcard(pattern, name, ascii), `${JSON.stringify(pattern)} vs ${JSON.stringify(name)}`).toBe(regex.test(name));
      }),
    );
  });
});

describe('classify (crowdstrike-291)', () => {
  it('puts 04:09 UTC in bad, 05:27 in good, earlier in unknown', () => {
    expect(classify(crowdstrike291, filetimeOf('2024-07-19T04:09:00Z'))).toBe('bad');
    expect(classify(crowdstrike291, filetimeOf('2024-07-19T05:26:59.999Z'))).toBe('bad');
    expect(classify(crowdstrike291, filetimeOf('2024-07-19T05:27:00Z'))).toBe('good');
    expect(classify(crowdstrike291, filetimeOf('2024-07-19T04:08:59Z'))).toBe('unknown');
    expect(classify(crowdstrike291, filetimeOf('2024-07-18T10:00:00Z'))).toBe('unknown');
  });
  it('converts ISO instants to FILETIME', () => {
    // 1970-01-01 is 116444736000000000 ticks after 1601-01-01.
    expect(filetimeOf('1970-01-01T00:00:00Z')).toBe(116444736000000000n);
  });
});

describe('parseRules', () => {
  it('reads YAML and JSON', () => {
    const yaml = 'rules:\n  - id: next-bad-update\n    path: "%SystemRoot%\\\\System32\\\\drivers\\\\vendor\\\\x*.sys"\n    lastWrite: { from: "2025-01-01T00:00:00Z" }\n    action: delete\n';
    expect(parseRules(yaml)[0]).toMatchObject({ id: 'next-bad-update', action: 'delete' });
    expect(parseRules(JSON.stringify({ rules: [{ id: 'a', path: 'x', action: 'report' }] }))[0].id).toBe('a');
  });
  it('names the bad field', () => {
    expect(() => parseRules('{"rules":[{"id":"a","path":"x","action":"explode"}]}')).toThrow(/\/rules\/0\/action/);
    expect(() => parseRules('{"rules":[{"id":"a","path":"x","action":"delete","sha256":["zz"]}]}')).toThrow(/\/rules\/0\/sha256\/0/);
    expect(() => parseRules('{"rules":[{"id":"a","path":"x","action":"delete","colour":"red"}]}')).toThrow(/colour/);
    expect(() => parseRules('{"rules":[{"id":"a","path":"x","action":"delete","lastWrite":{"from":"yesterday"}}]}')).toThrow(/lastWrite\/from/);
    expect(() => parseRules('rules: [')).toThrow(/not valid JSON or YAML/);
  });
});
