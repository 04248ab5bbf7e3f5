/**
 * What both worker scans (parallel-scan.ts's WorkerScan, file-worker-scan.ts's FileWorkerScan) do
 * with a chunk the worker decoded, and with the records any decoder declined: one copy of each.
 */
import type { NtfsVolume } from '../volume.js';
import { RecordBit, RecordState, type RecordTable } from './record-table.js';
import { storeSummary } from './scan-mft.js';
import type { ScanChunkResult } from './scan-worker.js';

/**
 * Copies a worker's answer into the table: its names into the shared name pool (the worker numbered
 * them from 0, so each record's first-name index moves by the pool's length), its named streams and
 * its directories' index attributes.
 */
export function applyWorkerNames(table: RecordTable, result: ScanChunkResult): void {
  const pool = table.names;
  if (result.names.length) {
    const base = pool.length;
    for (let i = 0; i < result.names.length; i++) {
      const slot = pool.add(result.names[i], result.namespace[i], result.parent[i], result.parentSequence[i], result.dataSize[i]);
      for (let k = 0; k < 8; k++) pool.times[slot * 8 + k] = result.times[i * 8 + k];
    }
    const end = result.first + result.count;
    for (let n = result.first; n < end; n++) if (table.nameCount[n]) table.nameStart[n] += base;
  }
  for (const [n, streams] of result.streams) table.streamMap.set(n, streams);
  table.directoryAttributes?.adopt(result.directories);
}

/**
 * Records the fast decoder declined are marked for the full decoder; unallocated ones are decoded now
 * when deleted entries are wanted (as scanMft does), a failure kept as that record's error.
 */
export async function settleDeclined(volume: NtfsVolume, table: RecordTable, deleted: boolean | undefined, declined: number[], unallocated: number[]): Promise<void> {
  for (const n of declined) table.state[n] = RecordState.slow;
  if (!deleted) return;
  for (const n of unallocated) {
    try {
      const record = volume.decodeRaw(await volume.mft.readRaw(n), n);
      storeSummary(table, n, record, true);
      if (record.baseRecordNumber === 0 && record.attributes.length > 0) table.bits[n] |= RecordBit.deletedCandidate;
    } catch (error) {
      table.state[n] = RecordState.error;
      table.errors.set(n, error as Error);
    }
  }
}
