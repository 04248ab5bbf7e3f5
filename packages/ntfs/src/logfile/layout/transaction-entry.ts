/**
 * Transaction table entry (TRANSACTION_ENTRY, 0x28 bytes). Sources: ntfs3
 * fslog.c `struct TRANSACTION_ENTRY`, libfsntfs $LogFile document.
 */
import { defineStruct } from '@coldfix/io';

export const TransactionEntryStruct = defineStruct('TransactionEntry', 40, {
  allocatedOrNextFree: { offset: 0, type: 'u32le' },
  transactionState: { offset: 4, type: 'u8' },
  firstLsn: { offset: 8, type: 'u64le' },
  previousLsn: { offset: 16, type: 'u64le' },
  undoNextLsn: { offset: 24, type: 'u64le' },
  undoRecords: { offset: 32, type: 'u32le' },
  undoBytes: { offset: 36, type: 'i32le' },
});

export const TransactionState = { uninitialized: 0, active: 1, prepared: 2, committed: 3 } as const;
export const TRANSACTION_STATE_NAMES = ['uninitialized', 'active', 'prepared', 'committed'] as const;
