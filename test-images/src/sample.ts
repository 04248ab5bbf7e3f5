/**
 * `npm run sample`: builds (or finds in the cache) the README's main-job sample, a dynamic VHD whose
 * Windows partition is BitLocker-encrypted and holds the CrowdStrike channel files, and prints where
 * it is and how to unlock it. The encryption step is in scenarios/windows-sample-bitlocker.ts.
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
  const cat = await ensureImages(['windows-sample-bitlocker-vhd']);
  const e = cat.entries['windows-sample-bitlocker-vhd']!;
  const bl = e.extra!['bitlocker'] as { recoveryPassword: string; password: string; volumeGuid: string };
  const win = e.extra!['windowsPartition'] as { number: number; offset: number };
  process.stdout.write(
    [
      `image:             ${e.image}`,
      `virtual size:      ${e.virtualSize} B (dynamic VHD, ${e.fileSize} B on disk)`,
      `BitLocker volume:  partition ${win.number} at byte ${win.offset} (GUID ${bl.volumeGuid})`,
      `recovery password: ${bl.recoveryPassword}`,
      `password:          ${bl.password}`,
      `plain twin:        ${cat.entries['windows-sample']!.image}`,
      '',
    ].join('\n'),
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`[test-images] FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
