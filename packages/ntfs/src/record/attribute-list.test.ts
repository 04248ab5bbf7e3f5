import { describe, expect, it } from 'vitest';
import { resolveAttributeList } from './attribute-list.js';
import type { AttributeListEntry } from '../layout/attribute-list-entry.js';

interface A { type: number; name: string; id: number }
const entry = (type: number, recordNumber: number, attributeId: number, name = ''): AttributeListEntry => ({ offset: 0, type, length: 32, name, lowestVcn: 0, recordNumber, sequence: 1, attributeId });

describe('resolveAttributeList (the one rule reader, checker, gates and writer use)', () => {
  const base: A[] = [{ type: 0x10, name: '', id: 0 }, { type: 0x20, name: '', id: 1 }, { type: 0x30, name: '', id: 2 }];
  const ext: Record<number, { attributes: A[]; baseRecord: number }> = {
    68: { attributes: [{ type: 0x30, name: '', id: 0 }, { type: 0x30, name: '', id: 1 }, { type: 0x80, name: 'stale', id: 7 }], baseRecord: 66 },
    70: { attributes: [{ type: 0x80, name: '', id: 0 }], baseRecord: 66 },
  };
  const hooks = (problems: string[]) => ({
    idOf: (a: A) => a.id,
    loadExtension: async (n: number) => {
      const e = ext[n];
      if (!e) throw new Error(`record ${n} unreadable`);
      return e;
    },
    problem: (message: string, kind: string) => void problems.push(`${kind}: ${message}`),
  });

  it('places each listed attribute in its record, in list order, then base attributes the list forgot; unlisted extension attributes are not the file\'s', async () => {
    const problems: string[] = [];
    const r = await resolveAttributeList(66, base, [entry(0x10, 66, 0), entry(0x30, 68, 0), entry(0x30, 66, 2), entry(0x30, 68, 1), entry(0x80, 70, 0)], hooks(problems));
    expect(r.attributes.map((p) => [p.record, p.attr.type, p.attr.id])).toEqual([[66, 0x10, 0], [68, 0x30, 0], [66, 0x30, 2], [68, 0x30, 1], [70, 0x80, 0], [66, 0x20, 1]]);
    expect(r.extensionRecords).toEqual([68, 70]);
    expect(r.attributes.some((p) => p.attr.name === 'stale')).toBe(false);
    expect(problems).toEqual([]);
  });

  it('reports an entry naming no attribute, an unreadable extension record and one naming another base', async () => {
    const problems: string[] = [];
    ext[72] = { attributes: [{ type: 0x30, name: '', id: 0 }], baseRecord: 99 };
    const r = await resolveAttributeList(66, base, [entry(0x30, 68, 5), entry(0x80, 71, 0), entry(0x30, 72, 0)], hooks(problems));
    // The unreadable record contributes nothing, so its entry is missing too.
    expect(problems.map((p) => p.split(':')[0])).toEqual(['entry-missing', 'extension-unreadable', 'entry-missing', 'extension-base']);
    expect(r.attributes.map((p) => p.record)).toEqual([72, 66, 66, 66]);
  });
});
