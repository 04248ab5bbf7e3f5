/**
 * MBR partition table reader: four primary records, then each extended
 * partition's chain of Extended Boot Records.
 *
 * References: UEFI 2.10 §5.2.1; libyal libvsmbr "MBR format" §3 "Extended
 * partition records"; Linux block/partitions/msdos.c behaviour (numbering);
 * The Sleuth Kit dos.c behaviour (reports the extended container).
 *
 * EBR addressing (the two bases differ, a classic source of bugs):
 *
 *   extended partition (primary record, absolute LBA E)
 *   ├─ EBR at E        entry 1: logical, start relative to THIS EBR (E + r1)
 *   │                  entry 2: link,    start relative to E     → next EBR at E + l1
 *   ├─ EBR at E + l1   entry 1: logical at (E + l1) + r2
 *   │                  entry 2: link → E + l2 …
 */
import { CorruptError, LimitExceededError, type ByteSource } from '@coldfix/io';
import { decodeBootRecord, isUnusedRecord, type MbrRecord } from './codec/mbr.js';
import { MBR_EXTENDED_TYPES, formatMbrType, mbrTypeName } from './codec/type-names.js';
import { MBR_SIZE } from './layout/mbr.js';
import type { PartitionEntry } from './types.js';

export const MBR_LIMITS = {
  /** Logical partitions per disk; Linux stops a chain after ~100 loops, 256 is generous. */
  maxLogicalPartitions: 256,
} as const;

const LAYER = 'partitions';

/** An MBR-style entry before probing (content filled in by the caller). */
export function mbrEntry(index: number, r: MbrRecord, absoluteLba: number, sectorSize: number, flags: { logical?: boolean; extended?: boolean } = {}): PartitionEntry {
  return {
    index,
    offset: absoluteLba * sectorSize,
    size: r.sizeInLba * sectorSize,
    type: formatMbrType(r.osType),
    typeName: mbrTypeName(r.osType),
    name: '',
    guid: null,
    bootable: r.bootIndicator === 0x80,
    ...(flags.logical ? { logical: true } : {}),
    ...(flags.extended ? { extended: true } : {}),
    content: 'unknown',
  };
}

/**
 * Decodes the primary records of `sector0` and walks every extended chain.
 * Tolerated oddities go to `anomalies`. Throws CorruptError (MBR_EBR_LOOP)
 * when a chain links back to an EBR already visited, LimitExceededError
 * (MBR_TOO_MANY_LOGICAL) above MBR_LIMITS.maxLogicalPartitions.
 */
export async function readMbrPartitions(disk: ByteSource, sector0: Uint8Array, sectorSize: number, anomalies: string[]): Promise<PartitionEntry[]> {
  const { records } = decodeBootRecord(sector0);
  const out: PartitionEntry[] = [];
  let nextLogical = 5;
  for (const r of records) {
    if (isUnusedRecord(r)) {
      if (r.osType !== 0) anomalies.push(`MBR slot ${r.slot}: type ${formatMbrType(r.osType)} with zero size, ignored`);
      continue;
    }
    if (r.bootIndicator !== 0 && r.bootIndicator !== 0x80) {
      anomalies.push(`MBR slot ${r.slot}: boot indicator 0x${r.bootIndicator.toString(16)} is neither 0x00 nor 0x80`);
    }
    const extended = MBR_EXTENDED_TYPES.has(r.osType);
    out.push(mbrEntry(r.slot, r, r.startingLba, sectorSize, { extended }));
    if (extended) {
      if (out.filter((e) => e.extended).length > 1) anomalies.push(`MBR slot ${r.slot}: a second extended partition (its chain is read too)`);
      const logicals = await walkEbrChain(disk, r, sectorSize, nextLogical, anomalies);
      nextLogical += logicals.length;
      out.push(...logicals);
    }
  }
  return out;
}

async function walkEbrChain(disk: ByteSource, ext: MbrRecord, sectorSize: number, firstIndex: number, anomalies: string[]): Promise<PartitionEntry[]> {
  const out: PartitionEntry[] = [];
  const extStart = ext.startingLba;
  const extEnd = extStart + ext.sizeInLba; // exclusive, LBA
  const visited = new Set<number>();
  let ebrLba = extStart;
  for (;;) {
    const at = ebrLba * sectorSize;
    if (visited.has(ebrLba)) {
      throw new CorruptError(`EBR chain of the extended partition at LBA ${extStart} loops back to the EBR at LBA ${ebrLba}`, {
        code: 'MBR_EBR_LOOP', layer: LAYER, offset: at, details: { extendedLba: extStart, ebrLba, visited: visited.size },
      });
    }
    visited.add(ebrLba);
    if (at + MBR_SIZE > disk.size) {
      anomalies.push(`EBR at LBA ${ebrLba} (0x${at.toString(16)}) lies beyond the end of the disk (${disk.size} bytes): chain not followed (truncated image?)`);
      break;
    }
    const ebr = decodeBootRecord(await disk.read(at, MBR_SIZE));
    if (!ebr.signatureValid) {
      anomalies.push(`EBR at LBA ${ebrLba} (0x${at.toString(16)}) has no 0x55AA signature: chain stops here`);
      break;
    }
    let link: MbrRecord | undefined;
    for (const r of ebr.records) {
      if (isUnusedRecord(r)) continue;
      if (MBR_EXTENDED_TYPES.has(r.osType)) {
        if (link) anomalies.push(`EBR at LBA ${ebrLba}: more than one link entry; the first is followed`);
        else link = r;
        continue;
      }
      // Linux reads data entries from the first two slots only: slots 3-4 often hold garbage.
      if (r.slot > 2) {
        anomalies.push(`EBR at LBA ${ebrLba}: data entry in slot ${r.slot} ignored`);
        continue;
      }
      if (out.length >= MBR_LIMITS.maxLogicalPartitions) {
        throw new LimitExceededError(`more than ${MBR_LIMITS.maxLogicalPartitions} logical partitions in the extended partition at LBA ${extStart}`, {
          code: 'MBR_TOO_MANY_LOGICAL', layer: LAYER, offset: at, details: { limit: MBR_LIMITS.maxLogicalPartitions },
        });
      }
      const start = ebrLba + r.startingLba;
      const entry = mbrEntry(firstIndex + out.length, r, start, sectorSize, { logical: true });
      if (start + r.sizeInLba > extEnd) {
        anomalies.push(`logical partition ${entry.index} (LBA ${start}, ${r.sizeInLba} sectors) extends past its extended partition (ends at LBA ${extEnd - 1})`);
      }
      out.push(entry);
    }
    if (!link) break;
    const next = extStart + link.startingLba;
    if (next >= extEnd) {
      anomalies.push(`EBR at LBA ${ebrLba}: link to LBA ${next} lies outside its extended partition (LBA ${extStart}-${extEnd - 1}): chain stops here`);
      break;
    }
    ebrLba = next;
  }
  return out;
}
