/**
 * @coldfix/test-images: generators of realistic test images built with real tools (mkntfs, ntfs-3g,
 * sfdisk, sgdisk, mkfs.vfat, qemu-img) into the ignored `test-images/cache/`, and the catalog of
 * their known facts for the tests.
 */
export type * from './catalog.js';
export type { BuildContext, BuildResult, Scenario } from './scenario.js';
export { cacheDir, ensureImages, loadCatalog, type EnsureOptions } from './builder.js';
export { scenarios } from './scenarios/index.js';
export { filetime, filetimeToIso, encodeNtfsTimes, type NtfsTimes } from './ntfs/filetime.js';
export { readVolumeFiles } from './volume-files.js';
export {
  buildWindowsSample,
  BAD_HEADER,
  CROWDSTRIKE_DIR,
  type ChannelClass,
  type CrowdStrikeFact,
  type WindowsSampleOptions,
  type WindowsSampleResult,
} from './scenarios/windows-sample.js';
export { SAMPLE_SECRETS } from './scenarios/windows-sample-bitlocker.js';
export { LONG_NAME } from './scenarios/ntfs-basic.js';
export { bigdirName } from './scenarios/ntfs-bigdir.js';
export { largeFilePath } from './scenarios/ntfs-large.js';
export { unmountAllNow, withNtfsMount, assertFuseAvailable } from './ntfs/mount.js';
export { realFixturesDir } from './real-fixtures.js';
export { withFileLock, type FileLockOptions } from './util/file-lock.js';
export { encryptToBitLocker, type BitLockerMethod, type EncryptOptions } from './bitlocker/index.js';
export { writeVhdx, readVhdxDataWriteGuid, type WriteVhdxOptions, type VhdxParentSpec } from './vhdx/avhdx-writer.js';
export { startRangeServer, type RangeServer, type RangeServerFaults } from './remote/range-server.js';
