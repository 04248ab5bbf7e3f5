export { decodeLogFile, type LogFileJournal, type LogRecord, type Checkpoint, type TransactionSummary, type DecodeLogOptions } from './read-logfile.js';
export { decodeRestartPage as decodeLogRestartPage, decodeRestartPages as decodeLogRestartPages, isEmptyLog, type RestartPageInfo, type RestartPages, type LogClient } from './restart.js';
export { NtfsLogOperation, operationName, operationTarget, isKnownOperation, type NtfsLogOperationName } from './operations.js';
export { lsnToOffset, offsetToLsn, lsnToSequence } from './lsn.js';
export { LogLimits } from './errors.js';
export type { NtfsUpdate } from './client-record.js';
export type { OpenAttribute, DirtyPage, TransactionEntry, NtfsRestartArea } from './checkpoint.js';
export type { LoggedName } from './names.js';
