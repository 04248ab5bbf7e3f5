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
