/**
 * GPT reader: primary header at LBA 1 and its entry array, both CRC-checked;
 * falls back to the backup header (the primary's AlternateLBA when the primary
 * header itself was sound, else the disk's last LBA) and the backup's own
 * entry array. When the primary is used, the backup is checked too and any
 * disagreement becomes an anomaly (as `sgdisk -v` reports it).
 *
 * References: UEFI Specification 2.10 §5.3.2 (validation rules, "If the
 * primary GPT is corrupt, software must check the last LBA of the device to
 * see if it has a valid GPT Header and point to a valid GPT Partition Entry
 * Array"); libyal libvsgpt; gdisk's "verify" behaviour (sgdisk -v).
 */
import { CorruptError, LimitExceededError, type ByteSource } from '@coldfix/io';
import {
  checkGptEntryArray, decodeGptEntries, decodeGptHeader, entryArrayBytes,
  type GptHeaderInfo, type GptProblem, type GptRawEntry,
} from './codec/gpt.js';
import { gptTypeName } from './codec/type-names.js';
import type { PartitionEntry } from './types.js';

const LAYER = 'partitions';

export interface GptCopy {
  header: GptHeaderInfo;
  entries: GptRawEntry[];
}

/**
 * `salvage`: the header was valid but its entry array failed its CRC; the
 * entries decoded anyway, for use when no copy is fully valid.
 */
export type GptCopyResult = { ok: true; copy: GptCopy } | { ok: false; problem: GptProblem; salvage?: GptCopy };

/** Reads and validates the header at `lba` and its entry array. Never throws on bad content. */
export async function readGptCopy(disk: ByteSource, lba: number, sectorSize: number): Promise<GptCopyResult> {
  const offset = lba * sectorSize;
  if (!Number.isSafeInteger(offset) || offset + sectorSize > disk.size) {
    return {
      ok: false,
      problem: {
        structure: 'header', field: 'location', kind: 'corrupt', offset: Number.isSafeInteger(offset) ? offset : 0,
        expected: `inside the disk (${disk.size} bytes)`, actual: `LBA ${lba}`,
        message: `GPT header at LBA ${lba} lies beyond the end of the disk (${disk.size} bytes; truncated image?)`,
      },
    };
  }
  const result = decodeGptHeader(await disk.read(offset, sectorSize), lba, sectorSize);
  if (!result.ok) return result;
  const header = result.header;
  const arrayOffset = header.partitionEntryLba * sectorSize;
  const arrayLength = entryArrayBytes(header);
  if (arrayOffset + arrayLength > disk.size) {
    return {
      ok: false,
      problem: {
        structure: 'entries', field: 'partitionEntryLba', kind: 'corrupt', offset: arrayOffset,
        expected: `an entry array inside the disk (${disk.size} bytes)`, actual: `${arrayLength} bytes at LBA ${header.partitionEntryLba}`,
        message: `GPT entry array of the header at LBA ${lba} (${arrayLength} bytes at LBA ${header.partitionEntryLba}, 0x${arrayOffset.toString(16)}) lies beyond the end of the disk (${disk.size} bytes)`,
      },
    };
  }
  const array = arrayLength === 0 ? new Uint8Array(0) : await disk.read(arrayOffset, arrayLength);
  const problem = checkGptEntryArray(array, header, sectorSize);
  if (problem) return { ok: false, problem, salvage: { header, entries: decodeGptEntries(array, header) } };
  return { ok: true, copy: { header, entries: decodeGptEntries(array, header) } };
}

export interface GptReadResult {
  copy: GptCopy;
  usedBackup: boolean;
}

/**
 * Picks the usable GPT copy. Throws CorruptError (GPT_NO_VALID_HEADER) or
 * LimitExceededError (GPT_LIMIT_EXCEEDED) when neither the primary nor a
 * backup is valid; the message names the primary's failure (structure, field,
 * expected vs actual, hex offset) and `details` carries both.
 */
export async function readGpt(disk: ByteSource, sectorSize: number, anomalies: string[], strict = false): Promise<GptReadResult> {
  const lastLba = Math.floor(disk.size / sectorSize) - 1;
  const primary = await readGptCopy(disk, 1, sectorSize);
  if (primary.ok) {
    await checkBackup(disk, primary.copy.header, lastLba, sectorSize, anomalies);
    return { copy: primary.copy, usedBackup: false };
  }
  // The primary header may be sound with only its array bad: then trust its AlternateLBA first.
  const candidates: number[] = [];
  const primaryHeader = decodeGptHeader(await disk.read(sectorSize, sectorSize).catch(() => new Uint8Array(0)), 1, sectorSize);
  if (primaryHeader.ok && primaryHeader.header.alternateLba > 1) candidates.push(primaryHeader.header.alternateLba);
  if (lastLba > 1 && !candidates.includes(lastLba)) candidates.push(lastLba);
  const failures: GptProblem[] = [primary.problem];
  let backupSalvage: { lba: number; copy: GptCopy } | undefined;
  for (const lba of candidates) {
    const backup = await readGptCopy(disk, lba, sectorSize);
    if (backup.ok) {
      anomalies.push(`primary GPT unusable (${primary.problem.message}); using the backup GPT header at LBA ${lba}`);
      return { copy: backup.copy, usedBackup: true };
    }
    if (backup.salvage && !backupSalvage) backupSalvage = { lba, copy: backup.salvage };
    failures.push(backup.problem);
  }
  // No fully valid copy. A CRC-valid header whose entry array fails its CRC is
  // still used (sgdisk does the same: "Using GPT, but disk verification and
  // recovery are STRONGLY recommended"): a forensic reader must show what is
  // there. Hand-edited disks (gpt_no_name_xff.bin) look like this. Strict mode refuses.
  if (!strict && primary.salvage) {
    anomalies.push(`${primary.problem.message}; no valid backup GPT, so the primary entries are used despite the CRC mismatch`);
    return { copy: primary.salvage, usedBackup: false };
  }
  if (!strict && backupSalvage) {
    anomalies.push(`primary GPT unusable (${primary.problem.message}); backup GPT header at LBA ${backupSalvage.lba} used although its entry array fails its CRC`);
    return { copy: backupSalvage.copy, usedBackup: true };
  }
  const p = primary.problem;
  const init = {
    code: p.kind === 'limit' ? 'GPT_LIMIT_EXCEEDED' : 'GPT_NO_VALID_HEADER',
    layer: LAYER,
    offset: p.offset,
    details: {
      structure: p.structure, field: p.field, expected: p.expected, actual: p.actual, sectorSize,
      failures: failures.map((f) => ({ structure: f.structure, field: f.field, expected: f.expected, actual: f.actual, offset: f.offset, message: f.message })),
    },
  };
  const message = `no valid GPT: ${p.message}; backup: ${failures.slice(1).map((f) => f.message).join('; ') || 'no candidate location'}`;
  throw p.kind === 'limit' ? new LimitExceededError(message, init) : new CorruptError(message, init);
}

async function checkBackup(disk: ByteSource, primary: GptHeaderInfo, lastLba: number, sectorSize: number, anomalies: string[]): Promise<void> {
  const alt = primary.alternateLba;
  if (alt > lastLba) {
    anomalies.push(`backup GPT header at LBA ${alt} lies beyond the end of the disk (last LBA ${lastLba}): truncated image? backup not checked`);
    return;
  }
  if (alt !== lastLba) anomalies.push(`backup GPT header at LBA ${alt} is not at the last LBA ${lastLba} (disk grown or image padded?)`);
  const backup = await readGptCopy(disk, alt, sectorSize);
  if (!backup.ok) {
    anomalies.push(`backup GPT invalid: ${backup.problem.message}`);
    return;
  }
  const b = backup.copy.header;
  if (b.alternateLba !== primary.myLba) anomalies.push(`backup GPT header's AlternateLBA is ${b.alternateLba}, not the primary's LBA ${primary.myLba}`);
  if (b.diskGuid !== primary.diskGuid) anomalies.push(`backup GPT disk GUID ${b.diskGuid} differs from the primary's ${primary.diskGuid}`);
  if (b.partitionEntryArrayCrc32 !== primary.partitionEntryArrayCrc32 || b.numberOfPartitionEntries !== primary.numberOfPartitionEntries) {
    anomalies.push('backup GPT entry array differs from the primary');
  }
  if (b.firstUsableLba !== primary.firstUsableLba || b.lastUsableLba !== primary.lastUsableLba) {
    anomalies.push('backup GPT usable range differs from the primary');
  }
}

/** Converts the chosen copy's entries; unsafe or inverted extents become anomalies and are skipped. */
export function gptEntries(copy: GptCopy, sectorSize: number, anomalies: string[]): PartitionEntry[] {
  const { header } = copy;
  const out: PartitionEntry[] = [];
  const maxLba = BigInt(Math.floor(Number.MAX_SAFE_INTEGER / sectorSize) - 1);
  for (const e of copy.entries) {
    if (e.endingLba < e.startingLba) {
      anomalies.push(`GPT entry ${e.index}: EndingLBA ${e.endingLba} < StartingLBA ${e.startingLba}, ignored`);
      continue;
    }
    if (e.endingLba > maxLba) {
      anomalies.push(`GPT entry ${e.index}: EndingLBA ${e.endingLba} is beyond 2^53 bytes, ignored`);
      continue;
    }
    const first = Number(e.startingLba);
    const last = Number(e.endingLba);
    if (first < header.firstUsableLba || last > header.lastUsableLba) {
      anomalies.push(`GPT entry ${e.index}: LBA ${first}-${last} is outside the usable range ${header.firstUsableLba}-${header.lastUsableLba}`);
    }
    out.push({
      index: e.index,
      offset: first * sectorSize,
      size: (last - first + 1) * sectorSize,
      type: e.typeGuid,
      typeName: gptTypeName(e.typeGuid),
      name: e.name,
      guid: e.uniqueGuid,
      attributes: `0x${e.attributes.toString(16).padStart(16, '0')}`,
      content: 'unknown',
    });
  }
  return out;
}
