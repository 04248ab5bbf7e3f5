/**
 * readPartitionTable: decides the scheme (GPT, MBR, none), the logical sector
 * size, reads the table and probes each partition's first sector.
 *
 * Decision order (UEFI 2.10 §5.2.3 for the protective MBR; Linux and
 * libblkid do the same in substance):
 * 1. "EFI PART" at LBA 1 (byte 512, else byte 4096 → 4 KiB sectors) or an
 *    0xEE record in the MBR → GPT (valid GPT required: primary or backup,
 *    else a typed error). Exception: a GPT header with an MBR that has real
 *    records and no 0xEE is a stale leftover; the MBR wins (anomaly).
 * 2. The first sector is a volume boot record (NTFS, BitLocker, FAT) → 'none'
 *    (a partitionless "superfloppy" volume; probeContent the disk itself).
 * 3. 0x55AA → MBR; otherwise 'none'.
 */
import { CorruptError, RangeSource, OutOfRangeError, decodeAscii, type ByteSource } from '@coldfix/io';
import { classifyBootSector } from './codec/boot-sector.js';
import { decodeBootRecord, isUnusedRecord } from './codec/mbr.js';
import { MBR_TYPE_GPT_PROTECTIVE } from './codec/type-names.js';
import { gptEntries, readGpt } from './gpt.js';
import { GPT_SIGNATURE } from './layout/gpt-header.js';
import { MBR_SIZE } from './layout/mbr.js';
import { mbrEntry, readMbrPartitions } from './mbr.js';
import { probeContent } from './probe.js';
import type { PartitionEntry, PartitionTable, ReadPartitionTableOptions } from './types.js';

const LAYER = 'partitions';

async function hasGptSignatureAt(disk: ByteSource, offset: number): Promise<boolean> {
  if (offset + 8 > disk.size) return false;
  return decodeAscii(await disk.read(offset, 8)) === GPT_SIGNATURE;
}

/**
 * Reads the partition table of `disk`. Partitions that extend beyond the end
 * of the disk are kept, with an anomaly (forensic images are often truncated).
 *
 * @throws CorruptError DISK_TRUNCATED when the disk is shorter than 512 bytes;
 *   GPT_NO_VALID_HEADER when the MBR says GPT but neither GPT copy is valid;
 *   MBR_EBR_LOOP for a looping EBR chain.
 * @throws LimitExceededError GPT_LIMIT_EXCEEDED (absurd entry count or size),
 *   MBR_TOO_MANY_LOGICAL.
 */
export async function readPartitionTable(disk: ByteSource, options: ReadPartitionTableOptions = {}): Promise<PartitionTable> {
  if (disk.size < MBR_SIZE) {
    throw new CorruptError(`disk is ${disk.size} bytes, shorter than one 512-byte sector: no partition table can be read`, {
      code: 'DISK_TRUNCATED', layer: LAYER, offset: 0, details: { size: disk.size },
    });
  }
  const anomalies: string[] = [];
  const sector0 = await disk.read(0, MBR_SIZE);
  const mbr = decodeBootRecord(sector0);
  const used = mbr.signatureValid ? mbr.records.filter((r) => !isUnusedRecord(r)) : [];
  const protective = used.filter((r) => r.osType === MBR_TYPE_GPT_PROTECTIVE);
  const others = used.filter((r) => r.osType !== MBR_TYPE_GPT_PROTECTIVE);

  let sectorSize: 512 | 4096 = options.sectorSize ?? 512;
  let gptSeen: boolean;
  if (options.sectorSize) {
    gptSeen = await hasGptSignatureAt(disk, options.sectorSize);
  } else if (await hasGptSignatureAt(disk, 512)) {
    gptSeen = true;
    if (await hasGptSignatureAt(disk, 4096)) anomalies.push('"EFI PART" found at both byte 512 and byte 4096; 512-byte sectors assumed');
  } else if (await hasGptSignatureAt(disk, 4096)) {
    gptSeen = true;
    sectorSize = 4096;
  } else {
    gptSeen = false;
  }

  const diskSignature = mbr.signatureValid ? `0x${mbr.diskSignature.toString(16).padStart(8, '0')}` : undefined;
  const staleGpt = gptSeen && protective.length === 0 && others.length > 0;
  if (staleGpt) anomalies.push(`GPT header found at LBA 1 but the MBR has ${others.length} partition record(s) and no 0xEE protective record: GPT ignored, MBR used`);

  if ((gptSeen || protective.length > 0) && !staleGpt) {
    if (protective.length === 0) anomalies.push(mbr.signatureValid ? 'GPT without a 0xEE protective MBR record' : 'GPT without a protective MBR (no 0x55AA signature at byte 510)');
    let result;
    try {
      result = await readGpt(disk, sectorSize, anomalies, options.strict);
    } catch (error) {
      // 0xEE but no header where we looked: a 4 KiB-sector disk whose primary is damaged keeps its backup at the last 4 KiB block.
      if (options.sectorSize || gptSeen || !(error instanceof CorruptError)) throw error;
      const retry: string[] = [];
      try {
        result = await readGpt(disk, 4096, retry, options.strict);
      } catch {
        throw error;
      }
      sectorSize = 4096;
      anomalies.push(...retry);
    }
    const partitions = gptEntries(result.copy, sectorSize, anomalies);
    const table: PartitionTable = {
      scheme: 'gpt', sectorSize, diskGuid: result.copy.header.diskGuid,
      ...(diskSignature && mbr.diskSignature !== 0 ? { diskSignature } : {}),
      ...(result.usedBackup ? { usedBackupGpt: true } : {}),
      partitions, anomalies,
    };
    if (others.length > 0) {
      // Hybrid MBR (gdisk's term): the MBR also maps partitions for BIOS-era systems. The GPT stays authoritative.
      table.hybridMbr = true;
      table.hybridMbrPartitions = others.map((r) => mbrEntry(r.slot, r, r.startingLba, sectorSize));
      for (const e of table.hybridMbrPartitions) {
        anomalies.push(`hybrid MBR: slot ${e.index} maps type ${e.type} at byte ${e.offset} (${e.size} bytes) besides the GPT`);
      }
      await finish(disk, table.hybridMbrPartitions, anomalies, 'hybrid MBR slot');
    }
    await finish(disk, partitions, anomalies, 'partition');
    return table;
  }

  if (!staleGpt && classifyBootSector(sector0) !== 'unknown') {
    // A volume boot record at sector 0: a partitionless volume. Its 0x55AA and "records" are boot code.
    return { scheme: 'none', sectorSize, partitions: [], anomalies };
  }
  if (!mbr.signatureValid) return { scheme: 'none', sectorSize, partitions: [], anomalies };

  const partitions = await readMbrPartitions(disk, sector0, sectorSize, anomalies);
  await finish(disk, partitions, anomalies, 'partition');
  return { scheme: 'mbr', sectorSize, ...(diskSignature ? { diskSignature } : {}), partitions, anomalies };
}

/** Checks extents against the disk and each other, then probes contents. */
async function finish(disk: ByteSource, partitions: PartitionEntry[], anomalies: string[], label: string): Promise<void> {
  for (const p of partitions) {
    if (p.offset >= disk.size) {
      anomalies.push(`${label} ${p.index} starts at byte ${p.offset}, beyond the end of the disk (${disk.size} bytes): truncated image?`);
    } else if (p.offset + p.size > disk.size) {
      anomalies.push(`${label} ${p.index} (byte ${p.offset}, ${p.size} bytes) extends beyond the end of the disk (${disk.size} bytes): truncated image?`);
    }
  }
  // Overlaps between volumes (the extended container legitimately overlaps its logicals).
  const volumes = partitions.filter((p) => !p.extended).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < volumes.length; i++) {
    const prev = volumes[i - 1];
    if (volumes[i].offset < prev.offset + prev.size) anomalies.push(`${label} ${volumes[i].index} overlaps ${label} ${prev.index}`);
  }
  // The probes are independent reads: issued together, they wait for the disk once.
  await Promise.all(
    partitions
      .filter((p) => !p.extended && p.offset + 512 <= disk.size && p.size >= 512)
      .map(async (p) => {
        p.content = await probeContent(openPartition(disk, p));
      }),
  );
}

/**
 * A read/write window onto the partition. A partition that runs past the end
 * of a truncated image is clamped to the bytes present (its table entry keeps
 * the declared size; the anomaly list says so).
 *
 * @throws OutOfRangeError PARTITION_OUTSIDE_DISK when the partition starts at or past the end of the disk.
 */
export function openPartition(disk: ByteSource, entry: PartitionEntry): RangeSource {
  if (entry.offset >= disk.size || entry.offset < 0) {
    throw new OutOfRangeError(`partition ${entry.index} starts at byte ${entry.offset}, at or beyond the end of the disk (${disk.size} bytes)`, {
      code: 'PARTITION_OUTSIDE_DISK', layer: LAYER, offset: entry.offset, details: { index: entry.index, size: entry.size, diskSize: disk.size },
    });
  }
  return new RangeSource(disk, entry.offset, Math.min(entry.size, disk.size - entry.offset), `partition ${entry.index}`);
}
