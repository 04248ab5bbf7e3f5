/**
 * `npm run images [-- --bench] [--force] [NAME…]`: builds the test image catalog into test-images/cache.
 */
import { ensureImages } from './builder.js';
import { unmountAllNow } from './ntfs/mount.js';

// An interrupted build must not leave FUSE mounts behind.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.once(signal, () => {
    unmountAllNow();
    process.stderr.write(`[test-images] interrupted (${signal}); mounts released\n`);
    process.exit(130);
  });

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const bench = args.includes('--bench');
  const force = args.includes('--force');
  const names = args.filter((a) => !a.startsWith('--'));
  const t0 = Date.now();
  const cat = await ensureImages(names.length ? names : undefined, { bench, force });
  const n = Object.keys(cat.entries).length;
  process.stderr.write(`[test-images] catalog: ${n} scenarios in ${cat.cacheDir} (${((Date.now() - t0) / 1000).toFixed(2)} s)\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`[test-images] FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
