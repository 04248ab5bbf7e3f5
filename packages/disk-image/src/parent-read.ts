/**
 * What a child image reads where it holds nothing of its own: its parent's bytes at the same virtual
 * offset, and zeros past the parent's end or without a parent (VHD, VHDX, qcow2 backing files and VMDK
 * deltas all define a smaller parent that way). One rule for every chained format.
 */
import { readInto, type ByteSource } from '@coldfix/io';

export async function readParentInto(parent: ByteSource | null | undefined, offset: number, target: Uint8Array): Promise<void> {
  const inParent = parent ? Math.max(0, Math.min(target.length, parent.size - offset)) : 0;
  if (parent && inParent > 0) await readInto(parent, offset, target.subarray(0, inParent));
  target.fill(0, inParent);
}
