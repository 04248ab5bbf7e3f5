/**
 * Windows installations are found by their tree, not by drive letter: any
 * directory at the volume root holding `System32` with a `config` or `drivers`
 * folder (so `\Windows`, `\WINNT`, or a second install side by side).
 */
import type { NtfsVolume } from '@coldfix/ntfs';
import { ROOT_RECORD } from '@coldfix/ntfs';

export interface WindowsInstallation {
  /** Path from the volume root, backslash-separated, e.g. `\Windows`. */
  path: string;
  recordNumber: number;
}

const maxRootEntries = 100_000;

export async function findWindowsInstallations(volume: NtfsVolume): Promise<WindowsInstallation[]> {
  const found: WindowsInstallation[] = [];
  const seen = new Set<number>();
  let scanned = 0;
  for await (const entry of volume.readdir(ROOT_RECORD)) {
    if (++scanned > maxRootEntries) break;
    if (!entry.isDirectory || entry.namespace === 'dos' || seen.has(entry.recordNumber)) continue;
    if (entry.recordNumber < 24) continue; // NTFS metadata ($Extend, …)
    seen.add(entry.recordNumber);
    const system32 = await volume.lookup(entry.recordNumber, 'System32');
    if (!system32?.isDirectory) continue;
    const config = await volume.lookup(system32.recordNumber, 'config');
    const drivers = await volume.lookup(system32.recordNumber, 'drivers');
    if (config?.isDirectory || drivers?.isDirectory) found.push({ path: `\\${entry.name}`, recordNumber: entry.recordNumber });
  }
  return found;
}
