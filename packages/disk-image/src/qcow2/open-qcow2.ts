/**
 * The qcow2 driver: probe and open (header, extensions and feature bits,
 * snapshots, external data file, backing chain).
 * References: qemu docs/interop/qcow2.txt; libyal libqcow documentation.
 */
import { NotFoundError } from '@coldfix/io';
import type { ImageDriver, OpenContext } from '../registry.js';
import type { DiskImage } from '../types.js';
import { openQcow2Backing, openQcow2DataFile } from './backing.js';
import { readQcow2Header, type Qcow2Header } from './header-reader.js';
import { probeQcow2 } from './probe.js';
import { hex, QCOW2_LAYER } from './qcow2-errors.js';
import { Qcow2Image } from './qcow2-image.js';
import { readSnapshotTable, type Qcow2Snapshot } from './snapshot-table.js';

export const qcow2Driver: ImageDriver = {
  format: 'qcow2',
  probe: probeQcow2,
  open: openQcow2,
};

async function openQcow2(context: OpenContext): Promise<DiskImage> {
  const { file, path } = context;
  const header = await readQcow2Header(file);
  const anomalies = headerAnomalies(header);
  const snapshots = await readSnapshotTable(file, header);
  const snapshot = context.depth === 1 && context.options.snapshot !== undefined ? findSnapshot(path, snapshots, context.options.snapshot) : undefined;
  const writable = context.depth === 1 && context.options.writable;
  const dataFile = header.externalDataFile ? await openQcow2DataFile(context, header, writable) : undefined;
  try {
    const parent = header.backingFile !== undefined ? await openQcow2Backing(context, header, anomalies) : undefined;
    const image = new Qcow2Image({ path, file, header, snapshots, snapshot, dataFile, parent, anomalies });
    await image.map.load().catch(async (error: unknown) => {
      await parent?.close();
      throw error;
    });
    return image;
  } catch (error) {
    await dataFile?.close();
    throw error;
  }
}

function findSnapshot(path: string, snapshots: Qcow2Snapshot[], wanted: string): Qcow2Snapshot {
  const found = snapshots.find((s) => s.id === wanted) ?? snapshots.find((s) => s.name === wanted);
  if (found) return found;
  throw new NotFoundError(`${path}: no internal snapshot with ID or name ${JSON.stringify(wanted)} (have ${snapshots.map((s) => `${s.id} ${JSON.stringify(s.name)}`).join(', ') || 'none'})`, {
    code: 'QCOW2_SNAPSHOT_NOT_FOUND',
    layer: QCOW2_LAYER,
    details: { path, snapshot: wanted, available: snapshots.map((s) => ({ id: s.id, name: s.name })) },
  });
}

function headerAnomalies(h: Qcow2Header): string[] {
  const out: string[] = [];
  if (h.dirty) out.push('qcow2 dirty bit set: the image was not closed cleanly (lazy refcounts); refcounts may be stale until `qemu-img check -r all`, reads are unaffected');
  if (h.corrupt) out.push('qcow2 corrupt bit set: qemu found its metadata inconsistent; data may be wrong, and writes are refused');
  const knownCompatible = 1n;
  const knownAutoclear = 3n;
  if (h.compatibleFeatures & ~knownCompatible) out.push(`qcow2 unknown compatible feature bits ${hex(h.compatibleFeatures & ~knownCompatible)} (ignored, as the specification allows)`);
  if (h.autoclearFeatures & ~knownAutoclear) out.push(`qcow2 unknown autoclear feature bits ${hex(h.autoclearFeatures & ~knownAutoclear)}`);
  for (const type of h.unknownExtensions) out.push(`qcow2 unknown header extension ${hex(type)} (ignored)`);
  return out;
}
