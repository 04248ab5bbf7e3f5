/**
 * The VHDX driver: probe ("vhdxfile" at offset 0) and open: header section,
 * log replay (in memory), metadata, BAT, and the parent chain of a
 * differencing file through the context (cycle and depth checks live there).
 *
 * References: MS-VHDX (v8.0, 2024); libyal libvhdi VHDX format document;
 * qemu block/vhdx.c, vhdx-log.c (read to learn, not copied).
 */
import { ColdfixError, isWritable, type ByteSource, type ResizableByteSource } from '@coldfix/io';
import { newGuid, writeNextHeader } from './header-update.js';
import { NULL_GUID_TEXT } from './guids.js';
import type { LogReplay } from './log-replay.js';
import type { VhdxHeaderSection } from './headers.js';
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
  const pending = log.entries.length > 0;
  const intoFile = pending && isWritable(file) && typeof (file as ResizableByteSource).resize === 'function';
  let source: ByteSource = file;
  if (intoFile) {
    const logGuid = section.header.logGuid;
    await replayLogIntoFile(file as ResizableByteSource, section, log);
    anomalies.push(`VHDX log ${logGuid} was pending: ${log.entries.length} entries (${log.writes.length} writes) replayed into the file, LogGuid cleared`);
  } else if (pending) {
    source = new PatchedSource(file, log.writes, log.size);
    anomalies.push(`VHDX log ${section.header.logGuid} was pending: ${log.entries.length} entries (${log.writes.length} writes) replayed in memory; the file was not changed`);
  }
  // The region tables and metadata may themselves have been updated through the log: read them again over the replayed view.
  const replayed = pending ? { ...(await readVhdxHeaderSection(source)), anomalies: section.anomalies } : section;
  const meta = await readVhdxMetadata(source, replayed.metadata);
  const parent = meta.parentLocator ? await openVhdxParent(context, meta.parentLocator, anomalies) : undefined;
  if (parent && parent.size !== meta.virtualSize) anomalies.push(`parent virtual size ${parent.size} differs from the child's ${meta.virtualSize}`);
  if (parent && parent.blockSize !== meta.logicalSectorSize) anomalies.push(`parent logical sector size ${parent.blockSize} differs from the child's ${meta.logicalSectorSize}`);
  try {
    return new VhdxImage({ path, file, source, section: replayed, meta, log, logReplayedIntoFile: intoFile, parent, anomalies });
  } catch (error) {
    await parent?.close();
    throw error;
  }
}

/**
 * MS-VHDX §2.3.3 on a writable open: header update (new FileWriteGuid) first, then every logged write
 * applied in order, the file extended to the replay's size, flushed, then LogGuid cleared by a second
 * header update. Through the file as opened, so a repair's undo journal keeps the before-images.
 */
async function replayLogIntoFile(file: ResizableByteSource, section: VhdxHeaderSection, log: LogReplay): Promise<void> {
  await writeNextHeader(file, section, { fileWriteGuid: newGuid() });
  if (log.size > file.size) await file.resize(log.size);
  const zeros = new Uint8Array(1024 * 1024);
  for (const w of log.writes) {
    if (w.kind === 'data') await file.write(w.fileOffset, w.data);
    else for (let o = 0; o < w.length; o += zeros.length) await file.write(w.fileOffset + o, zeros.subarray(0, Math.min(zeros.length, w.length - o)));
  }
  await file.flush();
  await writeNextHeader(file, section, { logGuid: NULL_GUID_TEXT });
}
