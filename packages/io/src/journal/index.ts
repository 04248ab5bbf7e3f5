/** The undo journal: JournaledFile (the only writer of images), rollback/commit, and the dry-run overlay. */
export { JournaledFile, type JournaledFileStats } from './journaled-file.js';
export { DryRunOverlay, type DryRunOverlayOptions } from './dry-run-overlay.js';
export { findJournal, rollbackImage, commitImage, type JournalInfo, type RollbackResult, type CommitResult, type LifecycleOptions } from './journal-lifecycle.js';
export { journalPathFor, fsyncDirectory, JOURNAL_SUFFIX, type JournalOptions } from './journal-path.js';
export type { IdentityCheckOptions } from './image-identity.js';
export { JOURNAL_PAGE_SIZE, JOURNAL_HEADER_SIZE, RECORD_HEADER_SIZE } from './journal-format.js';
export { journaledFileOpener, type JournaledOpener } from './journaled-opener.js';
