/**
 * GPT tables written by sgdisk (EFI System, Microsoft reserved, basic data,
 * Windows recovery, names, attributes), read back and compared with
 * `sfdisk --json`, `mmls` and `sgdisk -i`; then the primary header / entry
 * array / both copies are damaged and checked against `sgdisk -v`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWith, missingLoopDevice } from '@coldfix/test-support';
import { CorruptError, WritableFileSource } from '@coldfix/io';
import { readPartitionTable, type PartitionTable } from '@coldfix/partitions';
import { loopAvailable, mmlsPartitions, nodeIndex, run, runAll, scratchDir, sfdiskJson, sparseFile, withFile, type SfdiskTable } from './helpers.js';

const scratch = scratchDir('gpt');
afterAll(() => scratch.cleanup());

const SIZE = 128 << 20;
const SGDISK_ARGS = [
  '-n1:2048:+32M', '-t1:ef00', '-c1:EFI system partition', '-A1:set:0',
  '-n2:0:+16M', '-t2:0c01', '-c2:Microsoft reserved partition', '-A2:set:63',
  '-n3:0:+32M', '-t3:0700', '-c3:Basic data partition',
  '-n4:0:+16M', '-t4:2700', '-c4:Récupération ☃', '-A4:set:0', '-A4:set:63',
  // Entry 6 used, entry 5 left empty: numbering follows the array slot.
  '-n6:0:+8M', '-t6:8300',
];

function compareWithSfdisk(ours: PartitionTable, oracle: SfdiskTable): void {
  expect(oracle.label).toBe('gpt');
  expect(ours.scheme).toBe('gpt');
  expect(ours.sectorSize).toBe(oracle.sectorsize);
  expect(ours.diskGuid).toBe(oracle.id.toLowerCase());
  expect(ours.partitions.map((p) => p.index)).toEqual(oracle.partitions.map((p) => nodeIndex(p.node)));
  for (const o of oracle.partitions) {
    const p = ours.partitions.find((q) => q.index === nodeIndex(o.node))!;
    expect(p.offset).toBe(o.start * oracle.sectorsize);
    expect(p.size).toBe(o.size * oracle.sectorsize);
    expect(p.type).toBe(o.type.toLowerCase());
    expect(p.guid).toBe(o.uuid!.toLowerCase());
    expect(p.name).toBe(o.name ?? '');
  }
}

/** `sgdisk -i N`: "Attribute flags: 8000000000000001". */
function sgdiskAttributes(path: string, index: number): string {
  return `0x${/Attribute flags: ([0-9a-f]{16})/i.exec(run('sgdisk', ['-i', String(index), path]))![1].toLowerCase()}`;
}

/** Copies keeping holes (a plain copy would write every zero of the sparse image). */
function sparseCopy(from: string, to: string): void {
  run('cp', ['--sparse=always', from, to]);
}

function corrupt(path: string, offset: number): Promise<void> {
  return (async () => {
    const f = await WritableFileSource.openWritable(path);
    const b = await f.read(offset, 1);
    b[0] ^= 0xff;
    await f.write(offset, b);
    await f.flush();
    await f.close();
  })();
}

describe('GPT written by sgdisk (512-byte sectors)', () => {
  const disk = scratch.path('gpt.img');
  let oracle: SfdiskTable;
  beforeAll(() => {
    sparseFile(disk, SIZE);
    run('sgdisk', ['-o', ...SGDISK_ARGS, disk]);
    oracle = sfdiskJson(disk);
  });

  it('every field agrees with sfdisk --json, mmls and sgdisk -i', async () => {
    const ours = await withFile(disk, (d) => readPartitionTable(d));
    compareWithSfdisk(ours, oracle);
    expect(ours.anomalies).toEqual([]);
    expect(ours.usedBackupGpt).toBeUndefined();
    expect(ours.hybridMbr).toBeUndefined();
    expect(ours.partitions.map((p) => p.typeName)).toEqual(['EFI System', 'Microsoft reserved', 'Microsoft basic data', 'Windows recovery environment', 'Linux filesystem']);
    for (const p of ours.partitions) expect(p.attributes).toBe(sgdiskAttributes(disk, p.index));
    // mmls numbers GPT entries from 0 and shows the same extents and names.
    const mmls = mmlsPartitions(disk);
    expect(mmls.map((r) => [Number(r.slot) + 1, r.start, r.length, r.description])).toEqual(
      ours.partitions.map((p) => [p.index, p.offset / 512, p.size / 512, p.name]),
    );
  });

  it('damaged primary header: the backup is used and agrees with sfdisk --json; sgdisk -v sees the damage', async () => {
    const copy = scratch.path('gpt-bad-header.img');
    sparseCopy(disk, copy);
    await corrupt(copy, 512 + 40); // FirstUsableLBA byte: header CRC no longer matches
    expect(runAll('sgdisk', ['-v', copy])).toMatch(/Main header: ERROR/);
    const ours = await withFile(copy, (d) => readPartitionTable(d));
    expect(ours.usedBackupGpt).toBe(true);
    expect(ours.anomalies.some((a) => /headerCrc32 expected 0x[0-9a-f]{8} \(computed\), found 0x[0-9a-f]{8} \(stored\)/.test(a))).toBe(true);
    compareWithSfdisk(ours, sfdiskJson(copy));
    compareWithSfdisk(ours, oracle);
  });

  it('damaged primary entry array: the backup is used; sgdisk -v reports the main table CRC', async () => {
    const copy = scratch.path('gpt-bad-entries.img');
    sparseCopy(disk, copy);
    await corrupt(copy, 1024 + 128 * 2 + 60); // a name byte of entry 3
    expect(runAll('sgdisk', ['-v', copy])).toMatch(/Main partition table: ERROR/);
    const ours = await withFile(copy, (d) => readPartitionTable(d));
    expect(ours.usedBackupGpt).toBe(true);
    expect(ours.anomalies.some((a) => /partitionEntryArrayCrc32/.test(a))).toBe(true);
    compareWithSfdisk(ours, oracle);
  });

  it('damaged backup only: the primary is used, with an anomaly', async () => {
    const copy = scratch.path('gpt-bad-backup.img');
    sparseCopy(disk, copy);
    await corrupt(copy, SIZE - 512 + 8);
    expect(runAll('sgdisk', ['-v', copy])).toMatch(/Backup header: ERROR/);
    const ours = await withFile(copy, (d) => readPartitionTable(d));
    expect(ours.usedBackupGpt).toBeUndefined();
    expect(ours.anomalies.some((a) => /^backup GPT invalid: .*headerCrc32/.test(a))).toBe(true);
    compareWithSfdisk(ours, oracle);
  });

  it('both headers damaged: CorruptError naming the header, field, CRCs and offset', async () => {
    const copy = scratch.path('gpt-bad-both.img');
    sparseCopy(disk, copy);
    await corrupt(copy, 512 + 40);
    await corrupt(copy, SIZE - 512 + 40);
    // sgdisk finds no usable GPT either: it starts a blank one in memory.
    expect(runAll('sgdisk', ['-v', copy])).toMatch(/Creating new GPT entries in memory/);
    const error = await withFile(copy, (d) => readPartitionTable(d)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptError);
    const e = error as CorruptError;
    expect(e.code).toBe('GPT_NO_VALID_HEADER');
    expect(e.offset).toBe(512);
    expect(e.details.field).toBe('headerCrc32');
    expect(e.message).toMatch(/GPT header at LBA 1 \(0x200\): headerCrc32 expected 0x[0-9a-f]{8} \(computed\), found 0x[0-9a-f]{8} \(stored\)/);
    expect(e.message).toMatch(/GPT header at LBA 262143 \(0x7fffe00\): headerCrc32/);
  });

  it('both entry arrays damaged: salvaged with an anomaly by default (as sgdisk), CorruptError in strict mode', async () => {
    const copy = scratch.path('gpt-bad-arrays.img');
    sparseCopy(disk, copy);
    await corrupt(copy, 1024 + 100);
    await corrupt(copy, SIZE - 512 - 128 * 128 + 100);
    const ours = await withFile(copy, (d) => readPartitionTable(d));
    expect(ours.anomalies.some((a) => /despite the CRC mismatch/.test(a))).toBe(true);
    const error = await withFile(copy, (d) => readPartitionTable(d, { strict: true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptError);
    expect((error as CorruptError).details.field).toBe('partitionEntryArrayCrc32');
  });
});

describeWith(missingLoopDevice())('GPT written by sgdisk on a 4 KiB-sector loop device', () => {
  const disk = scratch.path('gpt4k.img');
  let oracle: SfdiskTable;
  beforeAll(() => {
    sparseFile(disk, 64 << 20);
    const loop = run('losetup', ['--find', '--show', '-b', '4096', disk]).trim();
    try {
      run('sgdisk', ['-o', '-n1:0:+8M', '-t1:ef00', '-c1:EFI', '-n2:0:+16M', '-t2:0700', '-c2:Data', '-n3:0:0', '-t3:8300', loop]);
      oracle = sfdiskJson(loop);
    } finally {
      run('losetup', ['-d', loop]);
    }
  });

  it('auto-detects 4096-byte sectors; agrees with sfdisk --json (on the loop device) and mmls -b 4096', async () => {
    expect(oracle.sectorsize).toBe(4096);
    const ours = await withFile(disk, (d) => readPartitionTable(d));
    compareWithSfdisk(ours, oracle);
    expect(ours.anomalies).toEqual([]);
    const mmls = mmlsPartitions(disk, 4096);
    expect(mmls.map((r) => [r.start, r.length, r.description])).toEqual(ours.partitions.map((p) => [p.offset / 4096, p.size / 4096, p.name]));
  });

  it('damaged primary header on a 4K disk: the backup at the last 4 KiB block is found', async () => {
    const copy = scratch.path('gpt4k-bad.img');
    sparseCopy(disk, copy);
    await corrupt(copy, 4096); // "EFI PART" → signature gone
    const ours = await withFile(copy, (d) => readPartitionTable(d));
    expect(ours.sectorSize).toBe(4096);
    expect(ours.usedBackupGpt).toBe(true);
    compareWithSfdisk(ours, oracle);
  });
});
