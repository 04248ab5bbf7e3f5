/**
 * NTFS log operation codes 0x00-0x25 (the redo/undo operation of every NTFS
 * client record). Names follow Microsoft's NTFS_LOG_OPERATION as published in
 * ntfs3 (fslog.c) and dfir_ntfs; ntfs-3g's ntfsrecover calls 0x23-0x25
 * Win10Action35-37. `target` says what the operation updates: an MFT record
 * (the page is found through target VCN + cluster block offset in $MFT) or a
 * block of a non-resident attribute named by the open attribute table.
 */
export const NtfsLogOperation = {
  Noop: 0x00,
  CompensationLogRecord: 0x01,
  InitializeFileRecordSegment: 0x02,
  DeallocateFileRecordSegment: 0x03,
  WriteEndOfFileRecordSegment: 0x04,
  CreateAttribute: 0x05,
  DeleteAttribute: 0x06,
  UpdateResidentValue: 0x07,
  UpdateNonresidentValue: 0x08,
  UpdateMappingPairs: 0x09,
  DeleteDirtyClusters: 0x0a,
  SetNewAttributeSizes: 0x0b,
  AddIndexEntryRoot: 0x0c,
  DeleteIndexEntryRoot: 0x0d,
  AddIndexEntryAllocation: 0x0e,
  DeleteIndexEntryAllocation: 0x0f,
  WriteEndOfIndexBuffer: 0x10,
  SetIndexEntryVcnRoot: 0x11,
  SetIndexEntryVcnAllocation: 0x12,
  UpdateFileNameRoot: 0x13,
  UpdateFileNameAllocation: 0x14,
  SetBitsInNonresidentBitMap: 0x15,
  ClearBitsInNonresidentBitMap: 0x16,
  HotFix: 0x17,
  EndTopLevelAction: 0x18,
  PrepareTransaction: 0x19,
  CommitTransaction: 0x1a,
  ForgetTransaction: 0x1b,
  OpenNonresidentAttribute: 0x1c,
  OpenAttributeTableDump: 0x1d,
  AttributeNamesDump: 0x1e,
  DirtyPageTableDump: 0x1f,
  TransactionTableDump: 0x20,
  UpdateRecordDataRoot: 0x21,
  UpdateRecordDataAllocation: 0x22,
  UpdateRelativeDataIndex: 0x23,
  UpdateRelativeDataAllocation: 0x24,
  ZeroEndOfFileRecord: 0x25,
} as const;
export type NtfsLogOperationName = keyof typeof NtfsLogOperation;

const NAMES: string[] = [];
for (const [name, code] of Object.entries(NtfsLogOperation)) NAMES[code] = name;

/** The operation's name, or `Unknown0xNN` for a code outside 0x00-0x25. */
export function operationName(code: number): string {
  return NAMES[code] ?? `Unknown0x${code.toString(16).padStart(2, '0')}`;
}

export const isKnownOperation = (code: number): boolean => code < NAMES.length && NAMES[code] !== undefined;

const O = NtfsLogOperation;
/** Operations that update an MFT record (resident data). */
const MFT_TARGETS = new Set<number>([
  O.InitializeFileRecordSegment, O.DeallocateFileRecordSegment, O.WriteEndOfFileRecordSegment, O.CreateAttribute,
  O.DeleteAttribute, O.UpdateResidentValue, O.UpdateMappingPairs, O.SetNewAttributeSizes, O.AddIndexEntryRoot,
  O.DeleteIndexEntryRoot, O.SetIndexEntryVcnRoot, O.UpdateFileNameRoot, O.UpdateRecordDataRoot,
  O.UpdateRelativeDataIndex, O.ZeroEndOfFileRecord,
]);
/** Operations that update a block of a non-resident attribute (index buffer, bitmap, data). */
const ATTRIBUTE_TARGETS = new Set<number>([
  O.UpdateNonresidentValue, O.AddIndexEntryAllocation, O.DeleteIndexEntryAllocation, O.WriteEndOfIndexBuffer,
  O.SetIndexEntryVcnAllocation, O.UpdateFileNameAllocation, O.SetBitsInNonresidentBitMap,
  O.ClearBitsInNonresidentBitMap, O.UpdateRecordDataAllocation, O.UpdateRelativeDataAllocation,
]);

export type OperationTarget = 'mft-record' | 'attribute' | 'none';

/** What an operation code updates on disk. */
export function operationTarget(code: number): OperationTarget {
  if (MFT_TARGETS.has(code)) return 'mft-record';
  if (ATTRIBUTE_TARGETS.has(code)) return 'attribute';
  return 'none';
}
