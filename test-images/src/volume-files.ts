import { readFile } from 'node:fs/promises';
import type { FileFact, VolumeFacts } from './catalog.js';

/** The files of a volume: inline, or read from its `filesPath` sidecar. */
export async function readVolumeFiles(v: VolumeFacts): Promise<FileFact[]> {
  if (v.files) return v.files;
  if (v.filesPath) return JSON.parse(await readFile(v.filesPath, 'utf8')) as FileFact[];
  return [];
}
