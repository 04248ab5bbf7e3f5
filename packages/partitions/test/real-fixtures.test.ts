/**
 * Real partition tables (first sectors of disks made by Windows, Linux tools
 * and VMware ESXi) from ../shared/fixtures/real, checked against the facts in
 * its MANIFEST.md and against sfdisk --json / mmls run on sparse-extended
 * copies (the fixtures are cut after 32 KiB, so the tools need the full size).
 *
 * Size convention: the MANIFEST quotes dissect's GPT sizes, (last - first) ×
 * sector; ours are inclusive like mmls and sgdisk: one sector more.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWith, itWith, missingFixtures } from '@coldfix/test-support';
import { CorruptError } from '@coldfix/io';
import { readPartitionTable, type PartitionTable } from '@coldfix/partitions';
import { REAL, gunzipHead, mmlsPartitions, nodeIndex, run, runAll, scratchDir, sfdiskJson, withFile } from './helpers.js';

const VOL = join(REAL, 'fox-it-dissect.volume');
const scratch = scratchDir('real');
afterAll(() => scratch.cleanup());

const read = (path: string, options?: { sectorSize?: 512 | 4096 }): Promise<PartitionTable> => withFile(path, (d) => readPartitionTable(d, options));

/** A sparse copy grown to `size` so that sfdisk and mmls accept it. */
function extended(name: string, size = '80G'): string {
  const out = scratch.path(name);
  copyFileSync(join(VOL, name), out);
  run('truncate', ['-s', size, out]);
  return out;
}

function sameAsSfdisk(ours: PartitionTable, path: string): void {
  const o = sfdiskJson(path);
  expect(ours.sectorSize).toBe(o.sectorsize);
  expect(ours.partitions.map((p) => p.index)).toEqual(o.partitions.map((p) => nodeIndex(p.node)));
  for (const op of o.partitions) {
    const p = ours.partitions.find((q) => q.index === nodeIndex(op.node))!;
    expect([p.offset, p.size]).toEqual([op.start * o.sectorsize, op.size * o.sectorsize]);
    if (o.label === 'gpt') {
      expect([p.type, p.guid, p.name]).toEqual([op.type.toLowerCase(), op.uuid!.toLowerCase(), op.name ?? '']);
    } else {
      expect(parseInt(p.type, 16)).toBe(parseInt(op.type, 16));
    }
  }
}

describeWith(missingFixtures('fox-it-dissect.volume'))('fox-it dissect.volume fixtures (MANIFEST §4)', () => {
  it('mbr.bin: two 0x07 partitions at 1 MiB alignment; partitions past the 512-byte cut kept with anomalies', async () => {
    const t = await read(join(VOL, 'mbr.bin'));
    expect(t.scheme).toBe('mbr');
    expect(t.partitions.map((p) => [p.index, p.offset, p.size, p.type])).toEqual([
      [1, 0x100000, 0x1f400000, '0x07'],
      [2, 0x1f500000, 0xee0a00000, '0x07'],
    ]);
    expect(t.anomalies.filter((a) => /beyond the end of the disk/.test(a))).toHaveLength(2);
    const big = extended('mbr.bin');
    const t2 = await read(big);
    expect(t2.anomalies).toEqual([]);
    sameAsSfdisk(t2, big);
    expect(mmlsPartitions(big).map((r) => [r.start, r.length])).toEqual([[2048, 1_024_000], [1_026_048, 124_801_024]]);
  });

  it('gpt.bin: EFI System + basic data; the extra 0x07 MBR record makes it a hybrid', async () => {
    const t = await read(join(VOL, 'gpt.bin'));
    expect(t.scheme).toBe('gpt');
    expect(t.sectorSize).toBe(512);
    expect(t.partitions.map((p) => [p.index, p.offset, p.size, p.type, p.guid, p.name])).toEqual([
      [1, 20480, 0xc7ffe00 + 512, 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b', '27d920bc-e414-45e0-9503-2606de7a1056', 'EFI System Partition'],
      [2, 0xc900000, 0x7465ffe00 + 512, 'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7', 'a14cecf3-b364-4d6d-a540-e245e6df9d11', ''],
    ]);
    expect(t.partitions[0].typeName).toBe('EFI System');
    expect(t.partitions[1].typeName).toBe('Microsoft basic data');
    expect(t.hybridMbr).toBe(true);
    expect(t.hybridMbrPartitions!.map((p) => [p.index, p.offset, p.type])).toEqual([[2, 0xc900000, '0x07']]);
    expect(t.anomalies.some((a) => /backup GPT header at LBA 61439999 lies beyond the end of the disk/.test(a))).toBe(true);
    const big = extended('gpt.bin');
    sameAsSfdisk(await read(big), big);
    expect(mmlsPartitions(big).map((r) => [r.start, r.length, r.description])).toEqual([
      [40, 409_600, 'EFI System Partition'],
      [411_648, 61_026_304, ''],
    ]);
  });

  it('gpt_4k.bin: auto-detects 4 KiB sectors; 512 forced → typed error (no valid GPT at 512)', async () => {
    const t = await read(join(VOL, 'gpt_4k.bin'));
    expect(t.scheme).toBe('gpt');
    expect(t.sectorSize).toBe(4096);
    expect(t.partitions.map((p) => [p.index, p.offset, p.size, p.name, p.guid!.slice(0, 8)])).toEqual([
      [1, 0x100000, 0x100000 + 4096, 'Linux filesystem', '21b90a6e'],
      [2, 0x300000, 0x100000 + 4096, 'Linux filesystem', 'c6f4ad42'],
      [3, 0x500000, 0xb5a000 + 4096, 'Linux filesystem', 'b7230707'],
    ]);
    expect(t.partitions.every((p) => p.type === '0fc63daf-8483-4772-8e79-3d69d8477de4')).toBe(true);
    const forced = await read(join(VOL, 'gpt_4k.bin'), { sectorSize: 4096 });
    expect(forced.partitions).toEqual(t.partitions);
    await expect(read(join(VOL, 'gpt_4k.bin'), { sectorSize: 512 })).rejects.toBeInstanceOf(CorruptError);
    const big = extended('gpt_4k.bin', '1G');
    expect(mmlsPartitions(big, 4096).map((r) => [r.start, r.length, r.description])).toEqual(
      (await read(big)).partitions.map((p) => [p.offset / 4096, p.size / 4096, p.name]),
    );
    expect(mmlsPartitions(big, 4096).map((r) => [r.start, r.length])).toEqual([[256, 257], [768, 257], [1280, 2907]]);
  });

  it('gpt_hybrid.bin: GPT entries as sfdisk, the MBR 0x83 records as mmls (which reads the MBR side)', async () => {
    const t = await read(join(VOL, 'gpt_hybrid.bin'));
    expect(t.scheme).toBe('gpt');
    expect(t.hybridMbr).toBe(true);
    expect(t.hybridMbrPartitions!.map((p) => [p.offset, p.size, p.type])).toEqual([
      [0x100000, 0x80200, '0x83'],
      [0x180200, 0x7bc00, '0x83'],
    ]);
    expect(t.partitions.map((p) => [p.index, p.offset, p.size, p.guid])).toEqual([
      [1, 0x100000, 0x80000 + 512, '44eea528-8489-4bbc-a480-56bd208cd233'],
      [2, 0x4400, 0xfba00 + 512, '8f4bcd34-d9d4-4060-a683-6f75c90b795b'],
      [3, 0x180200, 0x7ba00 + 512, 'b6aa0017-3abb-4c2b-b00c-5189e66d9896'],
    ]);
    const big = extended('gpt_hybrid.bin');
    const t2 = await read(big);
    sameAsSfdisk(t2, big);
    const mbrRows = mmlsPartitions(big).filter((r) => !/0xee/.test(r.description));
    expect(mbrRows.map((r) => [r.start * 512, r.length * 512])).toEqual(t2.hybridMbrPartitions!.map((p) => [p.offset, p.size]));
  });

  it('gpt_esxi.bin: entries 1,5,6,7,8 with names, as the MANIFEST, sfdisk and mmls', async () => {
    const t = await read(join(VOL, 'gpt_esxi.bin'));
    expect(t.partitions.map((p) => [p.index, p.offset, p.size, p.name])).toEqual([
      [1, 0x8000, 0x63ffe00 + 512, 'BOOT'],
      [5, 0x6600000, 0xffeffe00 + 512, 'BOOTBANK1'],
      [6, 0x106600000, 0xffeffe00 + 512, 'BOOTBANK2'],
      [7, 0x206600000, 0x1df99ffe00 + 512, 'OSDATA'],
      [8, 0x2000100000, 0x37fefbc00 + 512, 'datastore1'],
    ]);
    expect(t.partitions[4].type).toBe('aa31e02a-400f-11db-9590-000c2911d1b8');
    expect(t.partitions[4].typeName).toBe('VMware VMFS');
    const big = extended('gpt_esxi.bin', '200G');
    const t2 = await read(big);
    sameAsSfdisk(t2, big);
    expect(mmlsPartitions(big).map((r) => [Number(r.slot) + 1, r.start, r.length, r.description])).toEqual(
      t2.partitions.map((p) => [p.index, p.offset / 512, p.size / 512, p.name]),
    );
  });

  it('gpt_no_name_xff.bin: 0xFF-filled name → ""; its entry CRC was broken by hand-editing (sgdisk agrees): salvaged with an anomaly', async () => {
    const t = await read(join(VOL, 'gpt_no_name_xff.bin'));
    expect(t.partitions).toHaveLength(1);
    expect(t.partitions[0].name).toBe('');
    expect(t.partitions[0].offset).toBe(2048 * 512);
    expect(t.anomalies.some((a) => /partitionEntryArrayCrc32 .* used despite the CRC mismatch/.test(a))).toBe(true);
    const big = extended('gpt_no_name_xff.bin', '20G');
    expect(runAll('sgdisk', ['-v', big])).toMatch(/Main partition table: ERROR/);
    expect(mmlsPartitions(big).map((r) => r.start)).toEqual([2048]);
  });
});

describeWith(missingFixtures('msuhanov-ntfs-samples', 'fox-it-dissect.hypervisor'))('MBRs of disks made by Windows', () => {
  const samples = ['ntfs-2m', 'ntfs-lastaccess', 'ntfs-ptrn', 'ntfs-ramslack', 'ntfs-si-vs-fn'];
  it.each(samples)('msuhanov %s.raw.gz (first MiB): agrees with sfdisk --json; the partition holds NTFS', async (name) => {
    const out = scratch.path(`${name}.raw`);
    gunzipHead(join(REAL, 'msuhanov-ntfs-samples', `${name}.raw.gz`), out, 1 << 20);
    const t = await read(out);
    expect(t.scheme).toBe('mbr');
    expect(t.diskSignature).toBe(sfdiskJson(out).id);
    sameAsSfdisk(t, out);
    expect(t.partitions.map((p) => [p.index, p.offset, p.type, p.content])).toEqual([[1, 128 * 512, '0x07', 'ntfs']]);
  });

  it('ntfs-ptrn disk signature bytes 91 5E F2 8F (MANIFEST)', async () => {
    const out = scratch.path('ptrn.raw');
    gunzipHead(join(REAL, 'msuhanov-ntfs-samples', 'ntfs-ptrn.raw.gz'), out, 1 << 20);
    expect((await read(out)).diskSignature).toBe('0x8ff25e91');
  });

  it('fixed.vhd made by Windows: one NTFS partition at LBA 128, 14,336 sectors (MANIFEST, mmls)', async () => {
    const out = scratch.path('fixed.raw');
    gunzipHead(join(REAL, 'fox-it-dissect.hypervisor', 'fixed.vhd.gz'), out, 1 << 20);
    const t = await read(out);
    expect(t.diskSignature).toBe('0x8cad3deb'); // bytes EB 3D AD 8C
    expect(t.partitions.map((p) => [p.offset / 512, p.size / 512, p.type, p.content])).toEqual([[128, 14_336, '0x07', 'ntfs']]);
    expect(mmlsPartitions(out).map((r) => [r.start, r.length])).toEqual([[128, 14_336]]);
    sameAsSfdisk(t, out);
  });
});
