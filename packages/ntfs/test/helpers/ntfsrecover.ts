/**
 * ntfs-3g's `ntfsrecover -f -v -k FILE` as an independent oracle for the
 * $LogFile reader: its verbose dump lists every log record it decodes, block
 * by block ("* log action N at 0xOFF size S" then `name value` lines). Tail and
 * fast copies are dumped where they lie, so one LSN can appear twice; the
 * parser keeps each distinct decoding.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export interface RecoverAction {
  lsn: bigint; recordType: number; transactionId: number; redo: number; undo: number;
  targetAttribute: number; lcnsToFollow: number; recordOffset: number; attributeOffset: number; clusterIndex: number; targetVcn: bigint;
}

export function haveNtfsrecover(): boolean {
  return spawnSync('ntfsrecover', ['-V'], { stdio: 'ignore' }).error === undefined;
}

/** Runs `ntfsrecover -f -v -k FILE` (it exits 1 on the cut of a truncated copy; the dump is still complete up to it). */
export function runNtfsrecover(path: string): string {
  const r = spawnSync('ntfsrecover', ['-f', '-v', '-k', path], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  if (!r.stdout.includes('log action')) throw new Error(`ntfsrecover printed no records (exit ${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** The records of an ntfsrecover dump, with the fields it prints for update records (type 1). */
export function parseNtfsrecover(text: string): RecoverAction[] {
  const out: RecoverAction[] = [];
  const blocks = text.split(/^\* log action \d+ at 0x[0-9a-f]+ size \d+.*$/m).slice(1);
  for (const block of blocks) {
    const field = (name: string): string | undefined => block.match(new RegExp(`^${name}\\s+([0-9a-f]+)`, 'm'))?.[1];
    const num = (name: string): number => parseInt(field(name) ?? 'NaN', 16);
    const lsn = field('this_lsn');
    if (!lsn) continue;
    out.push({
      lsn: BigInt(`0x${lsn}`), recordType: num('record_type'), transactionId: num('transaction_id'), redo: num('redo_operation'), undo: num('undo_operation'),
      targetAttribute: num('target_attribute'), lcnsToFollow: num('lcns_to_follow'), recordOffset: num('record_offset'),
      attributeOffset: num('attribute_offset'), clusterIndex: num('cluster_index'), targetVcn: BigInt(`0x${field('target_vcn') ?? '0'}`),
    });
  }
  return out;
}

export const ntfsrecoverVersion = (): string => execFileSync('ntfsrecover', ['-V'], { encoding: 'utf8' }).trim();
