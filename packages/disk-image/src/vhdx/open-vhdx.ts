/**
 * The VHDX driver: probe ("vhdxfile" at offset 0) and open: header section,
 * log replay (in memory), metadata, BAT, and the parent chain of a
 * differencing file through the context (cycle and depth checks live there).
 *
 * References: MS-VHDX (v8.0, 2024); libyal libvhdi VHDX format document;
 * qemu block/vhdx.c, vhdx-log.c (read to learn, not copied).
 */
import { ColdfixError, type ByteSource } from '@coldfix/io';
import type { ImageDriver, OpenContext } from '../registry.js';
import type { DiskImage, ImageVariant } from '../types.js';
import { hasVhdxSignature, readVhdxHeaderSection } from './headers.js';
import { VHDX_HEADER_OFFSETS } from './layout/header.js';
import { readVhdxLog } from './log-replay.js';
import { readVhdxMetadata } from './metadata.js';
import { openVhdxParent } from './parent-resolver.js';
import { PatchedSource } from './patched-source.js';
import { VhdxImage } from './vhdx-image.js';

export const vhdxDriver: ImageDriver = {
  format: 'vhdx',
  probe: probeVhdx,
  open: openVhdx,
};

/** The variant when `file` starts with "vhdxfile"; a damaged file still probes as VHDX ('dynamic') so opening reports the damage. */
export async function probeVhdx(file: ByteSource): Promise<ImageVariant | undefined> {
  if (file.size < 8 || !hasVhdxSignature(await file.read(0, 8))) return undefined;
  try {
    const section = await readVhdxHeaderSection(file);
    const meta = await readVhdxMetadata(file, section.metadata);
    return meta.hasParent ? 'differencing' : meta.leaveBlocksAllocated ? 'fixed' : 'dynamic';
  } catch (error) {
    if (error instanceof ColdfixError) return 'dynamic';
    throw error;
  }
}

async function openVhdx(context: OpenContext): Promise<DiskImage> {
  const { file, path } = context;
  const section = await readVhdxHeaderSection(file);
  const anomalies = [...section.anomalies];
  const log = await readVhdxLog(file, section.header, VHDX_HEADER_OFFSETS[section.headerIndex]);
  const source = log.entries.length ? new PatchedSource(file, log.writes, log.size) : file;
  if (log.entries.length) {
    anomalies.push(`VHDX log ${section.header.logGuid} was pending: ${log.entries.length} entries (${log.writes.length} writes) replayed in memory; the file was not changed`);
  }
  // The region tables and metadata may themselves have been updated through the log: read them again over the replayed view.
  const replayed = log.entries.length ? await readVhdxHeaderSection(source) : section;
  const meta = await readVhdxMetadata(source, replayed.metadata);
  const parent = meta.parentLocator ? await openVhdxParent(context, meta.parentLocator) : undefined;
  if (parent && parent.size !== meta.virtualSize) anomalies.push(`parent virtual size ${parent.size} differs from the child's ${meta.virtualSize}`);
  if (parent && parent.blockSize !== meta.logicalSectorSize) anomalies.push(`parent logical sector size ${parent.blockSize} differs from the child's ${meta.logicalSectorSize}`);
  try {
    return new VhdxImage({ path, file, source, section: replayed, meta, log, parent, anomalies });
  } catch (error) {
    await parent?.close();
    throw error;
  }
}
