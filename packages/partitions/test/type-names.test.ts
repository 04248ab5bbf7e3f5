/** Every type name we print is util-linux's (`sfdisk --label gpt|dos -T`). */
import { describe, expect, it } from 'vitest';
import { GPT_TYPE_NAMES, MBR_TYPE_NAMES } from '@coldfix/partitions';
import { run } from './helpers.js';

function sfdiskTypes(label: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of run('sfdisk', ['--label', label, '-T']).split('\n')) {
    const m = /^\s*([0-9A-Fa-f-]+)\s{2,}(.+)$/.exec(line);
    if (m) out.set(m[1].toLowerCase(), m[2].trim());
  }
  return out;
}

describe('type names', () => {
  it('GPT names match sfdisk --label gpt -T', () => {
    const oracle = sfdiskTypes('gpt');
    for (const [guid, name] of Object.entries(GPT_TYPE_NAMES)) expect([guid, name]).toEqual([guid, oracle.get(guid)]);
  });
  it('MBR names match sfdisk --label dos -T', () => {
    const oracle = sfdiskTypes('dos');
    for (const [type, name] of Object.entries(MBR_TYPE_NAMES)) expect([type, name]).toEqual([type, oracle.get(Number(type).toString(16))]);
  });
});
