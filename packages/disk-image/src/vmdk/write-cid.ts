/**
 * A new content ID on a leaf's first write, as VMware does: the descriptor's
 * `CID=` line gets 8 new random hex digits, so that a child made from the old
 * state (whose parentCID names the old CID) no longer opens against the
 * changed disk. The embedded descriptor is rewritten within its reserved sectors.
 * Reference: VMware "Virtual Disk Format 5.0" §"Parent-Child Relationship".
 */
import { randomBytes } from 'node:crypto';
import { PreconditionError, type ResizableByteSource } from '@coldfix/io';
import type { SparseExtentHeader } from './layout/sparse-header.js';
import { VMDK_LAYER } from './vmdk-errors.js';

/** A fresh CID: random, never ffffffff/fffffffe (VMware's "no parent" and "unset" values), never `old`. */
export function newCid(old: string | undefined): string {
  for (;;) {
    const cid = randomBytes(4).toString('hex');
    if (cid !== old && cid !== 'ffffffff' && cid !== 'fffffffe') return cid;
  }
}

/** Rewrites the embedded descriptor's CID line; returns the new CID. Throws PreconditionError when there is none. */
export async function writeEmbeddedCid(file: ResizableByteSource, header: SparseExtentHeader, path: string, old: string | undefined): Promise<string> {
  const offset = Number(header.descriptorOffset) * 512;
  const size = Number(header.descriptorSize) * 512;
  const bytes = await file.read(offset, size);
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, end));
  const cid = newCid(old);
  const updated = text.replace(/^(\s*CID\s*=\s*)[0-9a-fA-F]+/m, `$1${cid}`);
  if (updated === text) throw new PreconditionError(`${path}: embedded descriptor has no CID line to update`, { code: 'VMDK_NO_CID', layer: VMDK_LAYER, details: { path } });
  const out = new Uint8Array(size);
  for (let i = 0; i < updated.length; i++) out[i] = updated.charCodeAt(i) & 0xff;
  if (updated.length > size) throw new PreconditionError(`${path}: descriptor no longer fits its ${size} bytes`, { code: 'VMDK_DESCRIPTOR_FULL', layer: VMDK_LAYER, details: { path } });
  await file.write(offset, out);
  await file.flush();
  return cid;
}
