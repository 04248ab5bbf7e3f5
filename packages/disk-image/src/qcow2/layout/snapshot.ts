/**
 * qcow2 snapshot table entry: a 40-byte fixed part, extra data, the unique ID
 * string, the name, padded to 8 bytes.
 *
 * References: qemu docs/interop/qcow2.txt, "Snapshots"; libyal libqcow
 * documentation, "Snapshot header".
 */
import { defineStruct } from '@coldfix/io';

export const Qcow2SnapshotHeaderStruct = defineStruct('Qcow2SnapshotHeader', 40, {
  l1TableOffset: { offset: 0, type: 'u64be' },
  l1Size: { offset: 8, type: 'u32be' },
  idStrSize: { offset: 12, type: 'u16be' },
  nameSize: { offset: 14, type: 'u16be' },
  dateSec: { offset: 16, type: 'u32be' },
  dateNsec: { offset: 20, type: 'u32be' },
  vmClockNsec: { offset: 24, type: 'u64be' },
  vmStateSize: { offset: 32, type: 'u32be' },
  extraDataSize: { offset: 36, type: 'u32be' },
});

/** Extra data (as much as `extraDataSize` covers). */
export const Qcow2SnapshotExtraStruct = defineStruct('Qcow2SnapshotExtra', 24, {
  vmStateSizeLarge: { offset: 0, type: 'u64be' },
  /** Virtual disk size at the snapshot (version 3 requires it). */
  diskSize: { offset: 8, type: 'u64be' },
  icount: { offset: 16, type: 'u64be' },
});
