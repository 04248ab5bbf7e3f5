/**
 * probeContent against volumes made by real tools (mkntfs, mkfs.vfat) and
 * BitLocker volumes made by Windows (fox-it dissect.fve fixtures), with
 * libblkid (`blkid -p`) as the independent oracle; and the content column of
 * readPartitionTable on whole disks whose partitions hold those volumes.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWith, itWith, missingFixtures } from '@coldfix/test-support';
import { MemorySource, parseGuid } from '@coldfix/io';
import { probeContent, readPartitionTable } from '@coldfix/partitions';
import { REAL, gunzipHead, run, runAll, scratchDir, sparseFile, withFile } from './helpers.js';

const FVE = join(REAL, 'fox-it-dissect.fve');
const scratch = scratchDir('probe');
afterAll(() => scratch.cleanup());

/** libblkid's low-level probe: TYPE of the volume at `offset` bytes ('' when nothing is recognised). */
function blkidType(path: string, offset = 0): string {
  return runAll('blkid', ['-p', '-O', String(offset), '-o', 'value', '-s', 'TYPE', path]).trim();
}

const probeFile = (path: string) => withFile(path, (s) => probeContent(s));

/** aes_128.bin decompressed whole, once (blkid checks its FVE block at 0x21F0000). */
let aes128: string | undefined;
function aes128Whole(): string {
  if (!aes128) {
    aes128 = scratch.path('aes_128.bin');
    run('bash', ['-c', `zcat '${join(FVE, 'aes_128.bin.gz')}' > '${aes128}'`]);
  }
  return aes128;
}

describe('probeContent on volumes made by real tools', () => {
  it('mkntfs → ntfs (blkid: ntfs)', async () => {
    const p = scratch.path('ntfs.img');
    sparseFile(p, 16 << 20);
    run('mkntfs', ['-F', '-Q', '-s', '512', '-c', '4096', p, '32768']);
    expect(blkidType(p)).toBe('ntfs');
    expect(await probeFile(p)).toBe('ntfs');
  });

  it.each([12, 16, 32])('mkfs.vfat -F %i → fat (blkid: vfat)', async (bits) => {
    const p = scratch.path(`fat${bits}.img`);
    sparseFile(p, bits === 32 ? 64 << 20 : 8 << 20);
    run('mkfs.vfat', ['-F', String(bits), ...(bits === 16 ? ['-s', '1'] : []), p]); // 1-sector clusters: FAT16 in 8 MiB
    expect(blkidType(p)).toBe('vfat');
    expect(await probeFile(p)).toBe('fat');
  });

  itWith(missingFixtures('fox-it-dissect.fve'))('BitLocker (Windows 10, aes_128.bin) → bitlocker (blkid: BitLocker)', async () => {
    const p = aes128Whole();
    expect(blkidType(p)).toBe('BitLocker');
    expect(await probeFile(p)).toBe('bitlocker');
  });

  itWith(missingFixtures('fox-it-dissect.fve'))('BitLocker Vista (vista.bin, EB 52 90 -FVE-FS-) → bitlocker (blkid: BitLocker)', async () => {
    const p = scratch.path('vista.bin');
    gunzipHead(join(FVE, 'vista.bin.gz'), p, 65536);
    expect(blkidType(p)).toBe('BitLocker');
    expect(await probeFile(p)).toBe('bitlocker');
  });

  itWith(missingFixtures('fox-it-dissect.fve'))('every dissect.fve volume (all BitLocker per the MANIFEST) → bitlocker', async () => {
    for (const f of readdirSync(FVE).filter((n) => n.endsWith('.bin.gz'))) {
      const p = scratch.path(`head-${f}.bin`);
      gunzipHead(join(FVE, f), p, 4096);
      expect([f, await probeFile(p)]).toEqual([f, 'bitlocker']);
    }
  });

  describe('BitLocker To Go on FAT32 (libbde: "MSWIN4.1", identifier GUID at 424, metadata offset at 440)', () => {
    const plain = scratch.path('fat32-mswin.img');
    const togo = scratch.path('togo.img');
    beforeAll(() => {
      sparseFile(plain, 64 << 20);
      run('mkfs.vfat', ['-F', '32', plain]);
      const b = readFileSync(plain);
      b.write('MSWIN4.1', 3, 'latin1'); // what Windows 9x and To Go write; plain FAT32 otherwise
      writeFileSync(plain, b);
      b.set(parseGuid('4967d63b-2e29-4ad8-8399-f6a339e3d001'), 424);
      b.writeBigUInt64LE(0x10000n, 440);
      // A minimal FVE metadata block at 0x10000: signature, version 2, metadata header size 48.
      b.write('-FVE-FS-', 0x10000, 'latin1');
      b.writeUInt16LE(2, 0x10000 + 10);
      b.writeUInt32LE(48, 0x10000 + 64);
      writeFileSync(togo, b);
    });
    it('with the identifier → bitlocker (blkid: BitLocker)', async () => {
      expect(blkidType(togo)).toBe('BitLocker');
      expect(await probeFile(togo)).toBe('bitlocker');
    });
    it('a plain FAT32 with the MSWIN4.1 OEM ID → fat (blkid: vfat)', async () => {
      expect(blkidType(plain)).toBe('vfat');
      expect(await probeFile(plain)).toBe('fat');
    });
  });

  it('zeros, or a source shorter than a sector → unknown', async () => {
    expect(await probeContent(new MemorySource(new Uint8Array(4096)))).toBe('unknown');
    expect(await probeContent(new MemorySource(new Uint8Array(100)))).toBe('unknown');
  });
});

describeWith(missingFixtures('fox-it-dissect.fve'))('content column of readPartitionTable on whole disks', () => {
  const ntfs = scratch.path('part-ntfs.img');
  let fve: string;
  beforeAll(() => {
    sparseFile(ntfs, 8 << 20);
    run('mkntfs', ['-F', '-Q', '-s', '512', '-c', '4096', '-p', '2048', '-H', '255', '-S', '63', ntfs, '16384']);
    fve = aes128Whole();
  });

  /** Partitions at LBA 2048 (NTFS), 20480 (FAT16, made in place), 40960 (BitLocker, 51 MB), 153600 (empty). */
  function fill(disk: string): void {
    run('dd', [`if=${ntfs}`, `of=${disk}`, 'bs=512', 'seek=2048', 'conv=notrunc,sparse', 'status=none']);
    run('mkfs.vfat', ['-F', '16', '-s', '1', '--offset', '20480', disk, String((16384 * 512) / 1024)]);
    run('dd', [`if=${fve}`, `of=${disk}`, 'bs=512', 'seek=40960', 'conv=notrunc,sparse', 'status=none']);
  }

  it.each(['dos', 'gpt'])('%s disk: ntfs, fat, bitlocker, unknown as blkid -O sees them', async (label) => {
    const disk = scratch.path(`content-${label}.img`);
    sparseFile(disk, 128 << 20);
    const parts = [[2048, 16384], [20480, 16384], [40960, 110000], [153600, 16384]].map(([s, n]) => `start=${s}, size=${n}`).join('\n');
    run('sfdisk', ['-q', disk], `label: ${label}\n${parts}\n`);
    fill(disk);
    const t = await withFile(disk, (d) => readPartitionTable(d));
    expect(t.scheme).toBe(label === 'dos' ? 'mbr' : 'gpt');
    const names: Record<string, string> = { ntfs: 'ntfs', vfat: 'fat', BitLocker: 'bitlocker', '': 'unknown' };
    expect(t.partitions.map((p) => p.content)).toEqual(t.partitions.map((p) => names[blkidType(disk, p.offset)]));
    expect(t.partitions.map((p) => p.content)).toEqual(['ntfs', 'fat', 'bitlocker', 'unknown']);
  });

  it('a partitionless volume (NTFS at sector 0) → scheme none', async () => {
    const t = await withFile(ntfs, (d) => readPartitionTable(d));
    expect(t.scheme).toBe('none');
    expect(t.partitions).toEqual([]);
  });
});
