/**
 * The generated test images a test file needs, built (or waited for, under the builder's lock) at
 * collection time, so a cold cache never shrinks a test file to fewer cases. When the generators cannot
 * run here (not root, no FUSE, a tool missing) the reason is returned for `describeWith`/`itWith`, which
 * report the cases as skipped (or fail them under COLDFIX_REQUIRE_ORACLES=1). A build that fails for any
 * other reason throws: the test file fails.
 */
import { existsSync } from 'node:fs';
import { ensureImages, type Catalog, type CatalogEntry } from '../test-images/src/index.js';
import { missingTools, whyNot } from './oracle.js';

/** Why the test-image generators cannot run here, or undefined. */
export function missingGenerators(): string | undefined {
  return whyNot(
    process.getuid?.() !== 0 ? 'the test-image generators need root (FUSE mounts)' : undefined,
    existsSync('/dev/fuse') ? undefined : 'no /dev/fuse',
    missingTools('mkntfs', 'ntfs-3g', 'sfdisk', 'sgdisk', 'mkfs.vfat', 'qemu-img'),
  );
}

/**
 * Builds (or finds in the cache) the named scenarios. Returns their entries by name (every name present,
 * else it throws), or `missing` with the reason and no entries.
 */
export async function catalogImages(names: string[]): Promise<{ entries: Record<string, CatalogEntry>; missing: string | undefined }> {
  const missing = missingGenerators();
  if (missing) return { entries: {}, missing };
  const catalog: Catalog = await ensureImages(names);
  const entries: Record<string, CatalogEntry> = {};
  for (const name of names) {
    const entry = catalog.entries[name];
    if (!entry) throw new Error(`test image ${name} was not built`);
    entries[name] = entry;
  }
  return { entries, missing: undefined };
}
