/** stat(): a record in full, JSON-friendly apart from bigint times. */
import { fileNames, reparsePoint, standardInformation, type FileRecord } from './record-view.js';
import type { RecordDetails } from './types.js';
import type { NtfsVolume } from './volume.js';

export function describeRecord(volume: NtfsVolume, record: FileRecord): RecordDetails {
  void volume;
  return {
    recordNumber: record.recordNumber,
    sequence: record.sequence,
    inUse: record.inUse,
    isDirectory: record.isDirectory,
    linkCount: record.linkCount,
    lsn: record.header.lsn,
    baseRecordNumber: record.baseRecordNumber,
    extensionRecords: record.extensionRecords,
    standardInformation: standardInformation(record),
    fileNames: fileNames(record),
    reparse: reparsePoint(record),
    attributes: record.attributes.map((a) => ({
      type: a.type,
      typeName: a.typeName,
      name: a.name,
      id: a.id,
      recordNumber: a.recordNumber,
      offset: a.offset,
      length: a.length,
      resident: !a.nonResident,
      flags: a.flags,
      compressed: a.compressed,
      sparse: a.sparse,
      encrypted: a.encrypted,
      size: a.nonResident ? a.dataSize ?? 0 : a.value?.length ?? 0,
      ...(a.nonResident
        ? {
            allocatedSize: a.allocatedSize,
            initializedSize: a.initializedSize,
            lowestVcn: a.lowestVcn,
            highestVcn: a.highestVcn,
            compressionUnit: a.compressionUnit,
            runs: (a.runs ?? []).map((r) => ({ vcn: r.vcn, lcn: r.lcn, length: r.length })),
            ...(a.runlistError ? { runlistError: a.runlistError } : {}),
          }
        : {}),
    })),
    anomalies: record.anomalies,
  };
}
