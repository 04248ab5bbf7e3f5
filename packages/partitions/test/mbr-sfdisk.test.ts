/**
 * MBR tables written by sfdisk (primary, extended with a chain of logical
 * partitions) read back and compared field by field with `sfdisk --json` and
 * `mmls`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPartitionTable, type PartitionTable } from '@coldfix/partitions';
import { mmlsPartitions, nodeIndex, run, scratchDir, sfdiskJson, sparseFile, withFile, type SfdiskTable } from './helpers.js';

const scratch = scratchDir('mbr');
afterAll(() => scratch.cleanup());

// Three primaries (one extended, 0x05) and three logicals of mixed types; slot 4 used after the extended one.
const SCRIPT = `label: dos
label-id: 0x1234abcd
start=2048, size=8192, type=7, bootable
start=10240, size=4096, type=83
start=16384, size=90000, type=5
start=18432, size=8192, type=83
start=28672, size=4096, type=7
start=34816, size=2048, type=b
start=110000, size=20000, type=c
`;
// An LBA extended (0x0f) holding four logicals, and an empty slot 2.
const SCRIPT_LBA = `label: dos
start=2048, size=4096, type=83
start=8192, size=100000, type=f
start=10240, size=2048, type=82
start=14336, size=2048, type=83
start=18432, size=2048, type=7
start=22528, size=2048, type=8e
`;

async function compare(path: string): Promise<{ ours: PartitionTable; oracle: SfdiskTable }> {
  const oracle = sfdiskJson(path);
  const ours = await withFile(path, (disk) => readPartitionTable(disk));
  expect(ours.scheme).toBe('mbr');
  expect(oracle.label).toBe('dos');
  expect(ours.sectorSize).toBe(oracle.sectorsize);
  expect(ours.diskSignature).toBe(oracle.id);
  // Every partition sfdisk lists, with the same number, start, size, type and boot flag.
  expect(ours.partitions.map((p) => p.index).sort((a, b) => a - b)).toEqual(oracle.partitions.map((p) => nodeIndex(p.node)).sort((a, b) => a - b));
  for (const o of oracle.partitions) {
    const p = ours.partitions.find((q) => q.index === nodeIndex(o.node))!;
    expect(p.offset).toBe(o.start * oracle.sectorsize);
    expect(p.size).toBe(o.size * oracle.sectorsize);
    expect(parseInt(p.type, 16)).toBe(parseInt(o.type, 16));
    expect(p.bootable).toBe(o.bootable === true);
    expect(p.guid).toBeNull();
    expect(p.name).toBe('');
    expect(p.logical === true).toBe(nodeIndex(o.node) >= 5);
  }
  // mmls: the same volumes (its Meta rows are the extended containers).
  const mmls = mmlsPartitions(path);
  const volumes = ours.partitions.filter((p) => !p.extended).map((p) => [p.offset / 512, p.size / 512]);
  expect(volumes.sort((a, b) => a[0] - b[0])).toEqual(mmls.map((r) => [r.start, r.length]).sort((a, b) => a[0] - b[0]));
  expect(ours.anomalies).toEqual([]);
  return { ours, oracle };
}

describe('MBR written by sfdisk', () => {
  const disk = scratch.path('mbr.img');
  const lba = scratch.path('mbr-lba.img');
  beforeAll(() => {
    sparseFile(disk, 64 << 20);
    run('sfdisk', ['-q', disk], SCRIPT);
    sparseFile(lba, 64 << 20);
    run('sfdisk', ['-q', lba], SCRIPT_LBA);
  });

  it('primary + extended (0x05) with three logicals agree with sfdisk --json and mmls', async () => {
    const { ours } = await compare(disk);
    expect(ours.partitions.map((p) => p.index)).toEqual([1, 2, 3, 5, 6, 7, 4]);
    expect(ours.partitions.find((p) => p.index === 3)!.extended).toBe(true);
    expect(ours.partitions.find((p) => p.index === 1)!.typeName).toBe('HPFS/NTFS/exFAT (0x07)');
  });

  it('LBA extended (0x0f) with four logicals and an unused slot agree with sfdisk --json and mmls', async () => {
    const { ours } = await compare(lba);
    expect(ours.partitions.filter((p) => p.logical).map((p) => p.index)).toEqual([5, 6, 7, 8]);
  });

  it('a truncated copy keeps the partitions past its end, with anomalies, and stops the EBR chain', async () => {
    const cut = scratch.path('mbr-cut.img');
    run('dd', [`if=${disk}`, `of=${cut}`, 'bs=512', 'count=20000', 'status=none']);
    const table = await withFile(cut, (d) => readPartitionTable(d));
    // Primary 4 (LBA 110000) is past the end; the EBR chain reaches LBA 26624, beyond 20000 sectors.
    expect(table.partitions.find((p) => p.index === 4)).toBeDefined();
    expect(table.anomalies.some((a) => /partition 4 starts at byte 56320000, beyond the end/.test(a))).toBe(true);
    expect(table.anomalies.some((a) => /EBR at LBA 26624 .* beyond the end of the disk/.test(a))).toBe(true);
    expect(table.partitions.filter((p) => p.logical).map((p) => p.index)).toEqual([5]);
  });
});
