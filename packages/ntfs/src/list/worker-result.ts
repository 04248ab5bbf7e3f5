/**
 * What both worker scans (parallel-scan.ts's WorkerScan, file-worker-scan.ts's FileWorkerScan) do
 * with a chunk the worker decoded: one copy.
 */
import type { RecordTable } from './record-table.js';
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
