/**
 * The VMDK driver: probe and open. A file is one of
 *   - a text descriptor naming extents (monolithicFlat, twoGbMaxExtent*, vmfs*, seSparse, custom),
 *   - a hosted sparse extent `KDMV` (monolithicSparse, streamOptimized) whose embedded descriptor
 *     gives CID, parentCID and parentFileNameHint; the file itself is its only extent,
 *   - a COWD or seSparse extent opened on its own (no descriptor: no parent known, an anomaly).
 * Extent names resolve inside the descriptor's folder only (extent-path.ts). Every extent file is
 * opened read-only; the parent through the context (cycle and depth checks), CID-verified (parent.ts).
 *
 * References: VMware "Virtual Disk Format 5.0"; libyal libvmdk format document; qemu block/vmdk.c.
 */
import { isWritable, type ByteSource, type ResizableByteSource } from '@coldfix/io';
import type { ImageDriver, OpenContext } from '../registry.js';
import type { DiskImage, VmdkVariant } from '../types.js';
import { decodeDescriptorBytes, parseDescriptor, variantOf, type Descriptor, type ExtentLine } from './descriptor.js';
import { resolveExtentPath } from './extent-path.js';
import { CowdExtent } from './extents/cowd-extent.js';
import { FlatExtent, ZeroExtent, type Extent } from './extents/extent.js';
import { SeSparseExtent } from './extents/sesparse-extent.js';
import { readEmbeddedDescriptor, readSparseHeader, SparseExtent } from './extents/sparse-extent.js';
import { SparseFlags } from './layout/sparse-header.js';
import { openVmdkParent } from './parent.js';
import { probeVmdk, vmdkFileKind } from './probe.js';
import { vmdkCorrupt, vmdkUnsupported } from './vmdk-errors.js';
import { VmdkImage, type VmdkImageInit } from './vmdk-image.js';

export const vmdkDriver: ImageDriver = {
  format: 'vmdk',
  probe: probeVmdk,
  open: openVmdk,
};

async function openVmdk(context: OpenContext): Promise<DiskImage> {
  const { file, path } = context;
  const head = await file.read(0, Math.min(1024, file.size));
  const kind = vmdkFileKind(head, file.size);
  const anomalies: string[] = [];
  const extentFiles: ByteSource[] = [];
  let parent: DiskImage | undefined;
  try {
    let descriptor: Descriptor | undefined;
    let extents: Extent[];
    let variant: VmdkVariant;
    if (kind === 'sparse') {
      const location = await readSparseHeader(file, path);
      const text = await readEmbeddedDescriptor(file, location.header, path);
      descriptor = text === undefined ? undefined : parseDescriptor(text, path);
      const compressed = (location.header.flags & SparseFlags.compressedGrains) !== 0;
      variant = variantOf(descriptor?.createType, compressed ? 'streamOptimized' : 'monolithicSparse');
      if (descriptor && descriptor.extents.length > 1) anomalies.push(`${path}: embedded descriptor lists ${descriptor.extents.length} extents; only this file is read`);
      const size = descriptor?.extents.length === 1 ? descriptor.extents[0].sectors * 512 : undefined;
      extents = [await SparseExtent.open(path, file, size, location)];
    } else if (kind === 'cowd' || kind === 'sesparse') {
      anomalies.push(`${path}: ${kind === 'cowd' ? 'COWD' : 'seSparse'} extent opened without its descriptor: its parent is unknown, unallocated grains read as zeros`);
      variant = kind === 'cowd' ? 'vmfsSparse' : 'seSparse';
      extents = [kind === 'cowd' ? await CowdExtent.open(path, file) : await SeSparseExtent.open(path, file)];
    } else if (kind === 'descriptor') {
      descriptor = parseDescriptor(decodeDescriptorBytes(await file.read(0, file.size), path), path);
      variant = variantOf(descriptor.createType, 'custom');
      if (!descriptor.extents.length) throw vmdkCorrupt('VMDK_NO_EXTENTS', `${path}: descriptor lists no extents`, undefined, { path });
      extents = [];
      for (const line of descriptor.extents) extents.push(await openExtent(context, line, extentFiles, anomalies));
    } else {
      throw vmdkCorrupt('VMDK_BAD_MAGIC', `${path}: not a VMDK descriptor or extent`, 0, { path });
    }
    if (descriptor?.parentFileNameHint) parent = await openVmdkParent(context, descriptor, anomalies);
    else if (descriptor?.parentCid && descriptor.parentCid !== 'ffffffff') anomalies.push(`${path}: parentCID ${descriptor.parentCid} but no parentFileNameHint: read without a parent`);
    const writing = writePlan(file, kind, extents, descriptor);
    return new VmdkImage({ path, file, variant, descriptor, extents, extentFiles, parent, anomalies, ...writing });
  } catch (error) {
    await Promise.all(extentFiles.map((f) => f.close()));
    await parent?.close();
    throw error;
  }
}

/** Writes go only into one uncompressed hosted sparse file with an embedded descriptor (one undo journal per image). */
function writePlan(file: ByteSource, kind: string | undefined, extents: Extent[], descriptor: Descriptor | undefined): Pick<VmdkImageInit, 'writeTarget' | 'writeRefusal'> {
  if (!isWritable(file)) return {};
  const extent = extents[0];
  if (kind !== 'sparse' || !(extent instanceof SparseExtent)) return { writeRefusal: 'only single-file hosted sparse VMDKs (monolithicSparse) are written; descriptor-based, vmfsSparse and seSparse images are read-only' };
  if (extent.compressed) return { writeRefusal: 'streamOptimized (compressed) VMDKs are read-only' };
  if (!descriptor?.cid) return { writeRefusal: 'the embedded descriptor has no CID to update' };
  if (typeof (file as ResizableByteSource).resize !== 'function') return { writeRefusal: 'the file cannot grow' };
  return { writeTarget: { extent, file: file as ResizableByteSource } };
}

async function openExtent(context: OpenContext, line: ExtentLine, files: ByteSource[], anomalies: string[]): Promise<Extent> {
  const size = line.sectors * 512;
  if (line.type === 'ZERO') return new ZeroExtent('ZERO', size);
  if (line.access === 'NOACCESS') {
    anomalies.push(`${context.path}: extent line ${line.line} is NOACCESS: read as zeros`);
    return new ZeroExtent('NOACCESS', size);
  }
  if (line.type === 'VMFSRDM' || line.type === 'VMFSRAW') {
    throw vmdkUnsupported('VMDK_UNSUPPORTED_EXTENT', `${context.path}: extent line ${line.line} is ${line.type} (a raw device mapping): not supported`, { path: context.path, line: line.line });
  }
  const path = resolveExtentPath(context.path, line.fileName!, context.options.vmdk.allowOutsidePaths ?? false);
  const file = path === context.path ? context.file : await context.options.openFile(path, false);
  if (file !== context.file) files.push(file);
  switch (line.type) {
    case 'FLAT':
    case 'VMFS':
      return new FlatExtent(line.type, path, file, size, line.startSector * 512);
    case 'SPARSE': {
      const head = await file.read(0, Math.min(512, file.size));
      if (vmdkFileKind(head, file.size) !== 'sparse') throw vmdkCorrupt('VMDK_BAD_EXTENT', `${context.path}: extent line ${line.line}: ${path} is not a hosted sparse extent (no KDMV header)`, 0, { path: context.path, extent: path });
      return SparseExtent.open(path, file, size);
    }
    case 'VMFSSPARSE':
      return CowdExtent.open(path, file, size);
    case 'SESPARSE':
      return SeSparseExtent.open(path, file, size);
  }
  throw vmdkUnsupported('VMDK_UNSUPPORTED_EXTENT', `${context.path}: extent type ${line.type}`, { path: context.path });
}
