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
  const candidates: { name: string; recordNumber: number }[] = [];
  const seen = new Set<number>();
  let scanned = 0;
  for await (const entry of volume.readdir(ROOT_RECORD)) {
    if (++scanned > maxRootEntries) break;
    if (!entry.isDirectory || entry.namespace === 'dos' || seen.has(entry.recordNumber)) continue;
    if (entry.recordNumber < 24) continue; // NTFS metadata ($Extend, …)
    seen.add(entry.recordNumber);
    candidates.push({ name: entry.name, recordNumber: entry.recordNumber });
  }
  // The probes only read; a few run at once so that their reads overlap (results in root order).
  const found: WindowsInstallation[] = [];
  for (let i = 0; i < candidates.length; i += PROBE_CONCURRENCY) {
    const batch = candidates.slice(i, i + PROBE_CONCURRENCY);
    const isWindows = await Promise.all(batch.map((c) => holdsWindows(volume, c.recordNumber)));
    batch.forEach((c, k) => {
      if (isWindows[k]) found.push({ path: `\\${c.name}`, recordNumber: c.recordNumber });
    });
  }
  return found;
}

const PROBE_CONCURRENCY = 4;

/** Whether directory `record` holds `System32` with a `config` or `drivers` folder. */
async function holdsWindows(volume: NtfsVolume, record: number): Promise<boolean> {
  const system32 = await volume.lookup(record, 'System32');
  if (!system32?.isDirectory) return false;
  const [config, drivers] = await Promise.all([volume.lookup(system32.recordNumber, 'config'), volume.lookup(system32.recordNumber, 'drivers')]);
  return config?.isDirectory === true || drivers?.isDirectory === true;
}
