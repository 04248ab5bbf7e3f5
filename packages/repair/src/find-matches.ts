/**
 * Expands a rule's path on a volume: literal components are looked up in the
 * $I30 B+ tree; wildcard components enumerate the directory and compare through
 * the volume's $UpCase. DOS (8.3) names are skipped so a file is found once by
 * its long name; hard links found twice are reported once.
 */
import type { NtfsVolume } from '@coldfix/ntfs';
import { ROOT_RECORD } from '@coldfix/ntfs';
import { LimitExceededError } from '@coldfix/io';
import type { Rule } from './rules/rule.js';
import { hasWildcard, matchWildcard } from './rules/wildcard.js';
import type { WindowsInstallation } from './find-windows.js';

export interface PathHit {
  /** Backslash path from the volume root. */
  path: string;
  recordNumber: number;
  sequence: number;
  parentRecordNumber: number;
  /** Last-write time cached in the parent's index entry. */
  indexModified: bigint;
  isDirectory: boolean;
}

const systemRootPrefix = /^%(systemroot|windir)%[\\/]/i;
const maxHitsPerRule = 100_000;

/** Splits a rule path into its starting points and components. */
export function ruleRoots(rule: Rule, installations: WindowsInstallation[]): { base: string; baseRecord: number; components: string[] }[] {
  const relative = rule.path.replace(systemRootPrefix, '');
  const components = relative.split(/[\\/]+/).filter((c) => c !== '' && c !== '.');
  if (systemRootPrefix.test(rule.path)) {
    return installations.map((install) => ({ base: install.path, baseRecord: install.recordNumber, components }));
  }
  // A drive letter means nothing offline: `C:\x` is `\x` on the volume being repaired.
  const fromRoot = components[0] && /^[a-z]:$/i.test(components[0]) ? components.slice(1) : components;
  return [{ base: '', baseRecord: ROOT_RECORD, components: fromRoot }];
}

export async function findPathHits(volume: NtfsVolume, rule: Rule, installations: WindowsInstallation[]): Promise<PathHit[]> {
  const upcaseTable = await volume.upcase();
  const upcase = (text: string) => upcaseTable.upcase(text);
  const hits = new Map<number, PathHit>();
  for (const root of ruleRoots(rule, installations)) {
    let frontier: PathHit[] = [{ path: root.base, recordNumber: root.baseRecord, sequence: 0, parentRecordNumber: ROOT_RECORD, indexModified: 0n, isDirectory: true }];
    for (const [depth, component] of root.components.entries()) {
      const last = depth === root.components.length - 1;
      const next: PathHit[] = [];
      for (const dir of frontier) {
        if (!dir.isDirectory) continue;
        if (!hasWildcard(component)) {
          const entry = await volume.lookup(dir.recordNumber, component);
          if (entry && (last || entry.isDirectory)) next.push(toHit(dir, entry));
          continue;
        }
        for await (const entry of volume.readdir(dir.recordNumber)) {
          if (entry.namespace === 'dos' || entry.recordNumber < 24) continue;
          if (!matchWildcard(component, entry.name, upcase)) continue;
          if (!last && !entry.isDirectory) continue;
          next.push(toHit(dir, entry));
          if (next.length > maxHitsPerRule) {
            throw new LimitExceededError(`rule ${rule.id}: more than ${maxHitsPerRule} paths match ${rule.path}`, { code: 'RULE_TOO_MANY_MATCHES', layer: 'repair' });
          }
        }
      }
      frontier = next;
    }
    for (const hit of frontier) if (!hit.isDirectory && !hits.has(hit.recordNumber)) hits.set(hit.recordNumber, hit);
  }
  return [...hits.values()];
}

function toHit(dir: PathHit, entry: { name: string; recordNumber: number; sequence: number; modified: bigint; isDirectory: boolean }): PathHit {
  return {
    path: `${dir.path}\\${entry.name}`,
    recordNumber: entry.recordNumber,
    sequence: entry.sequence,
    parentRecordNumber: dir.recordNumber,
    indexModified: entry.modified,
    isDirectory: entry.isDirectory,
  };
}
