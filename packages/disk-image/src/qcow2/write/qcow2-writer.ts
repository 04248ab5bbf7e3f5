/**
 * Writes guest bytes into the top qcow2 image (never a backing file), in
 * qemu's safe order, each step made durable (flush) before the next one
 * refers to it:
 *
 *   1. a new cluster's content (data, or a zeroed L2 table) at the end of the file;
 *   2. its refcount set to 1;
 *   3. the L2 entry pointing at the new data cluster (copied flag set);
 *   4. the L1 entry pointing at a new L2 table, last;
 *   5. refcounts of what the old entry referenced (a compressed or shared
 *      cluster) decremented, after nothing points at it any more.
 * A crash leaves at most leaked clusters (refcount 1, unreferenced), never an
 * entry pointing at a cluster whose refcount is 0.
 *
 * Copy-on-write: a cluster that is unallocated (backing file or zeros), zero,
 * compressed or shared (copied flag clear) is materialised whole: its current
 * guest bytes, with the new bytes merged, go to a newly allocated cluster.
 * Clusters with the copied flag (refcount 1) are written in place.
 *
 * Refused (typed errors, before anything is written): dirty or corrupt images
 * (run `qemu-img check` first: repairing refcounts silently would destroy
 * evidence), images with internal snapshots, extended L2, external data files,
 * refcount widths other than 16 bits, and allocations needing a new refcount
 * block or a larger refcount table.
 *
 * References: qemu docs/interop/qcow2.txt ("Host cluster management",
 * "Cluster mapping"); qemu block/qcow2-cluster.c and qcow2-refcount.c (order of
 * updates), read to learn.
 */
import { PreconditionError, type ResizableByteSource } from '@coldfix/io';
import { FLAG_COPIED, L1_OFFSET_MASK } from '../layout/table-entry.js';
import { hex, QCOW2_LAYER, qcow2Unsupported } from '../qcow2-errors.js';
import type { Qcow2Image } from '../qcow2-image.js';
import { Refcounts } from './refcounts.js';

const checked = new WeakSet<Qcow2Image>();

export async function writeQcow2(image: Qcow2Image, file: ResizableByteSource, offset: number, data: Uint8Array): Promise<void> {
  if (data.length === 0) return;
  await checkWritable(image, file);
  const cs = image.header.clusterSize;
  const refcounts = new Refcounts(file, image.header);
  for (let pos = offset; pos < offset + data.length; ) {
    const cluster = Math.floor(pos / cs);
    const clusterStart = cluster * cs;
    const end = Math.min(offset + data.length, clusterStart + cs);
    await writeCluster(image, file, refcounts, cluster, pos - clusterStart, data.subarray(pos - offset, end - offset));
    pos = end;
  }
}

async function checkWritable(image: Qcow2Image, file: ResizableByteSource): Promise<void> {
  if (checked.has(image)) return;
  const h = image.header;
  const refuse = (code: string, why: string) => new PreconditionError(`${image.path}: ${why}`, { code, layer: QCOW2_LAYER, details: { path: image.path } });
  if (h.dirty) throw refuse('QCOW2_DIRTY', 'the dirty bit is set (refcounts may be stale); run `qemu-img check` on it first, coldfix does not rewrite refcounts');
  if (h.corrupt) throw refuse('QCOW2_CORRUPT', 'the corrupt bit is set; run `qemu-img check` on it first');
  if (image.snapshot) throw refuse('SNAPSHOT_READ_ONLY', 'a snapshot is read-only');
  if (h.nbSnapshots > 0) throw qcow2Unsupported('QCOW2_WRITE_SNAPSHOTS', `${image.path}: writing an image with internal snapshots (shared clusters) is not implemented`);
  if (h.extendedL2) throw qcow2Unsupported('QCOW2_WRITE_EXTENDED_L2', `${image.path}: writing extended L2 images is not implemented`);
  if (h.externalDataFile) throw qcow2Unsupported('QCOW2_WRITE_DATA_FILE', `${image.path}: writing images with an external data file is not implemented`);
  if (h.refcountOrder !== 4) throw qcow2Unsupported('QCOW2_WRITE_REFCOUNT_WIDTH', `${image.path}: writing with ${2 ** h.refcountOrder}-bit refcounts is not implemented`);
  // Autoclear bits (e.g. bitmaps) describe state a writer that does not know them would invalidate:
  // the specification asks such a writer to clear them.
  if (h.version === 3 && h.autoclearFeatures !== 0n) {
    const field = new Uint8Array(8);
    await file.write(88, field);
    await file.flush();
    h.autoclearFeatures = 0n;
  }
  checked.add(image);
}

async function writeCluster(image: Qcow2Image, file: ResizableByteSource, refcounts: Refcounts, cluster: number, within: number, piece: Uint8Array): Promise<void> {
  const map = image.map;
  const cs = image.header.clusterSize;
  const l1Index = Math.floor(cluster / map.l2Entries);
  const l2Index = cluster % map.l2Entries;
  const l1Entry = await map.l1Entry(l1Index);
  let l2Offset = Number(l1Entry & L1_OFFSET_MASK);
  if (l2Offset !== 0 && !(l1Entry & FLAG_COPIED)) {
    throw qcow2Unsupported('QCOW2_WRITE_SHARED_L2', `${image.path}: L2 table ${hex(l2Offset)} is shared (copied flag clear); copying L2 tables is not implemented`);
  }
  const decoding = await map.lookup(cluster);
  const m = decoding.mapping;
  if (l2Offset !== 0 && m.kind === 'data') {
    const table = await map.l2Table(l2Offset, l1Index);
    const entry = new DataView(table.buffer, table.byteOffset + l2Index * 8, 8).getBigUint64(0);
    if (entry & FLAG_COPIED) {
      await file.write(m.hostOffset + within, piece);
      return;
    }
  }
  // Copy-on-write: the cluster's current guest bytes (backing file, zeros, compressed, shared), then the new ones.
  const guestStart = cluster * cs;
  const content = new Uint8Array(cs);
  const guestLength = Math.min(cs, image.size - guestStart);
  content.set(await image.read(guestStart, guestLength));
  content.set(piece, within);

  let newL2: Uint8Array | undefined;
  if (l2Offset === 0) {
    l2Offset = await allocate(file, refcounts, cs, new Uint8Array(cs));
    newL2 = new Uint8Array(cs);
  }
  const dataOffset = await allocate(file, refcounts, cs, content);
  const table = newL2 ?? (await map.l2Table(l2Offset, l1Index));
  const oldEntry = new DataView(table.buffer, table.byteOffset + l2Index * 8, 8).getBigUint64(0);
  const newEntry = FLAG_COPIED | BigInt(dataOffset);
  const entryBytes = new Uint8Array(8);
  new DataView(entryBytes.buffer).setBigUint64(0, newEntry);
  await file.write(l2Offset + l2Index * 8, entryBytes);
  await file.flush();
  table.set(entryBytes, l2Index * 8);
  if (newL2) {
    map.cacheL2(l2Offset, newL2);
    const l1Bytes = new Uint8Array(8);
    const newL1 = FLAG_COPIED | BigInt(l2Offset);
    new DataView(l1Bytes.buffer).setBigUint64(0, newL1);
    await file.write(image.map.l1TableOffset + l1Index * 8, l1Bytes);
    await file.flush();
    map.setL1Entry(l1Index, newL1);
  }
  // Release what the old entry held, now that nothing points at it.
  if (m.kind === 'compressed') {
    const first = Math.floor(m.hostOffset / cs) * cs;
    const last = Math.floor((m.hostOffset + m.size - 1) / cs) * cs;
    for (let host = first; host <= last; host += cs) await refcounts.add(file, host, -1);
    await file.flush();
  } else if (oldEntry !== 0n && !(oldEntry & (1n << 62n))) {
    const oldHost = Number(oldEntry & 0x00fffffffffffe00n);
    if (oldHost !== 0) {
      await refcounts.add(file, oldHost, -1);
      await file.flush();
    }
  }
}

/** Appends one cluster holding `content` at the cluster-aligned end of the file, then sets its refcount to 1; returns its offset. */
async function allocate(file: ResizableByteSource, refcounts: Refcounts, cs: number, content: Uint8Array): Promise<number> {
  const at = Math.ceil(file.size / cs) * cs;
  // Refused before the file grows when no refcount block covers the new cluster.
  await refcounts.locate(at);
  if ((await refcounts.get(at)) !== 0) {
    throw qcow2Unsupported('QCOW2_WRITE_END_IN_USE', `qcow2 write: the cluster at the end of the file ${hex(at)} already has a refcount`);
  }
  await file.resize(at + cs);
  await file.write(at, content);
  await file.flush();
  await refcounts.set(file, at, 1);
  await file.flush();
  return at;
}
