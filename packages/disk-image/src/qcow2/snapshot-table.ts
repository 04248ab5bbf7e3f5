/**
 * Reads the internal snapshot table: each snapshot's L1 table, virtual size,
 * unique ID, name and date. Counts and sizes are bounded before reading.
 *
 * References: qemu docs/interop/qcow2.txt, "Snapshots"; libyal libqcow
 * documentation.
 */
import { toSafeNumber, type ByteSource } from '@coldfix/io';
import type { Qcow2Header } from './header-reader.js';
import { MAX_L1_ENTRIES } from './header-reader.js';
import { Qcow2SnapshotExtraStruct, Qcow2SnapshotHeaderStruct } from './layout/snapshot.js';
import { hex, QCOW2_LAYER, qcow2Corrupt, qcow2Limit } from './qcow2-errors.js';

/** qemu's QCOW_MAX_SNAPSHOTS. */
export const MAX_SNAPSHOTS = 65536;
/** qemu's QCOW_MAX_SNAPSHOT_EXTRA_DATA. */
export const MAX_SNAPSHOT_EXTRA = 1024;
/** qemu's QCOW_MAX_SNAPSHOTS_SIZE: the whole table stays under 64 MiB. */
export const MAX_SNAPSHOT_TABLE = 64 << 20;

export interface Qcow2Snapshot {
  id: string;
  name: string;
  l1TableOffset: number;
  l1Size: number;
  /** Virtual size at the snapshot (the header's size when the entry has no disk_size). */
  diskSize: number;
  /** ISO 8601 UTC. */
  date: string;
  vmStateSize: number;
}

/** Throws CorruptError or LimitExceededError. */
export async function readSnapshotTable(file: ByteSource, header: Qcow2Header): Promise<Qcow2Snapshot[]> {
  const count = header.nbSnapshots;
  if (count === 0) return [];
  if (count > MAX_SNAPSHOTS) throw qcow2Limit('QCOW2_TOO_MANY_SNAPSHOTS', `qcow2 header: nb_snapshots ${count} above ${MAX_SNAPSHOTS}`, 60, { count });
  let at = header.snapshotsOffset;
  if (at % header.clusterSize !== 0 || at === 0) {
    throw qcow2Corrupt('QCOW2_BAD_SNAPSHOT_OFFSET', `qcow2 header: snapshots_offset ${hex(at)} is not a non-zero multiple of the cluster size`, 64);
  }
  const start = at;
  const out: Qcow2Snapshot[] = [];
  for (let i = 0; i < count; i++) {
    const fixed = await readWithin(file, at, Qcow2SnapshotHeaderStruct.size, i);
    const entry = Qcow2SnapshotHeaderStruct.decode(fixed);
    if (entry.extraDataSize > MAX_SNAPSHOT_EXTRA) {
      throw qcow2Limit('QCOW2_SNAPSHOT_EXTRA_TOO_LARGE', `qcow2 snapshot ${i} at ${hex(at)}: extra_data_size ${entry.extraDataSize} above ${MAX_SNAPSHOT_EXTRA}`, at + 36);
    }
    const restLength = entry.extraDataSize + entry.idStrSize + entry.nameSize;
    const rest = await readWithin(file, at + fixed.length, restLength, i);
    let diskSize = header.size;
    if (entry.extraDataSize >= 16) {
      const extra = new Uint8Array(Qcow2SnapshotExtraStruct.size);
      extra.set(rest.subarray(0, Math.min(entry.extraDataSize, extra.length)));
      diskSize = toSafeNumber(Qcow2SnapshotExtraStruct.decode(extra).diskSize, `qcow2 snapshot ${i} disk_size`, QCOW2_LAYER, at + 48);
    }
    const text = new TextDecoder('utf-8');
    const id = text.decode(rest.subarray(entry.extraDataSize, entry.extraDataSize + entry.idStrSize));
    const name = text.decode(rest.subarray(entry.extraDataSize + entry.idStrSize));
    const l1TableOffset = toSafeNumber(entry.l1TableOffset, `qcow2 snapshot ${i} l1_table_offset`, QCOW2_LAYER, at);
    if (entry.l1Size > MAX_L1_ENTRIES) {
      throw qcow2Limit('QCOW2_L1_TOO_LARGE', `qcow2 snapshot ${JSON.stringify(name)}: l1_size ${entry.l1Size} above our cap of ${MAX_L1_ENTRIES}`, at + 8);
    }
    out.push({
      id,
      name,
      l1TableOffset,
      l1Size: entry.l1Size,
      diskSize,
      date: new Date(entry.dateSec * 1000 + Math.floor(entry.dateNsec / 1e6)).toISOString(),
      vmStateSize: entry.vmStateSize,
    });
    at += Math.ceil((fixed.length + restLength) / 8) * 8;
    if (at - start > MAX_SNAPSHOT_TABLE) {
      throw qcow2Limit('QCOW2_SNAPSHOT_TABLE_TOO_LARGE', `qcow2 snapshot table above ${MAX_SNAPSHOT_TABLE} bytes`, start);
    }
  }
  return out;
}

async function readWithin(file: ByteSource, offset: number, length: number, index: number): Promise<Uint8Array> {
  if (offset + length > file.size) {
    throw qcow2Corrupt('QCOW2_SNAPSHOT_TRUNCATED', `qcow2 snapshot ${index} at ${hex(offset)} (+${length}) runs past the end of the file`, offset);
  }
  return length ? file.read(offset, length) : new Uint8Array(0);
}
