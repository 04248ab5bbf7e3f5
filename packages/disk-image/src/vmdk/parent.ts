/**
 * Finds, opens and verifies the parent of a VMDK delta: `parentFileNameHint`
 * (untrusted: resolved inside the child's folder unless the user allows
 * otherwise; its base name is also tried beside the child and in
 * `parentDirs`), then the parent's CID must equal the child's `parentCID`
 * (VMware updates a disk's CID on its first write after open, so a mismatch
 * means the parent changed after the snapshot: ParentMismatchError naming
 * both files, unless `vmdk.ignoreParentCid` turns it into an anomaly).
 *
 * References: VMware "Virtual Disk Format 5.0" §"Parent-Child Relationship";
 * qemu block/vmdk.c (vmdk_parent_open; qemu itself does not check the CID).
 */
import { stat } from 'node:fs/promises';
import { NotFoundError, ParentMismatchError } from '@coldfix/io';
import type { OpenContext } from '../registry.js';
import type { DiskImage } from '../types.js';
import { parentCandidates } from './extent-path.js';
import type { Descriptor } from './descriptor.js';
import { VMDK_LAYER } from './vmdk-errors.js';

export async function openVmdkParent(context: OpenContext, descriptor: Descriptor, anomalies: string[]): Promise<DiskImage> {
  const hint = descriptor.parentFileNameHint!;
  const expected = descriptor.parentCid;
  const opts = context.options.vmdk;
  const candidates = parentCandidates(context.path, hint, context.options.parentDirs, opts.allowOutsidePaths ?? false);
  const tried: string[] = [];
  const mismatches: Array<{ path: string; cid: string | null; format: string }> = [];
  for (const candidate of candidates) {
    tried.push(candidate);
    const info = await stat(candidate).catch(() => undefined);
    if (!info || info.isDirectory()) continue;
    const parent = await context.openParent(candidate);
    const found = parent.chain[0];
    const cid = found.format === 'vmdk' ? found.cid : undefined;
    if (expected === undefined) {
      anomalies.push(`${context.path}: no parentCID in the descriptor; parent ${candidate} taken unchecked`);
      return parent;
    }
    if (cid === expected) return parent;
    if (opts.ignoreParentCid) {
      anomalies.push(`${context.path}: parentCID ${expected} differs from the CID ${cid ?? '(none)'} of its parent ${candidate} (accepted: ignoreParentCid)`);
      return parent;
    }
    mismatches.push({ path: candidate, cid: cid ?? null, format: found.format });
    await parent.close();
  }
  if (mismatches.length) {
    throw new ParentMismatchError(
      `${context.path}: parentCID ${expected} does not match the CID of ${mismatches.map((m) => `${m.path} (${m.cid ?? `no CID: ${m.format}`})`).join(', ')}`,
      { code: 'VMDK_PARENT_CID_MISMATCH', layer: VMDK_LAYER, details: { child: context.path, parentCid: expected ?? null, parentFileNameHint: hint, candidates: mismatches } },
    );
  }
  throw new NotFoundError(`${context.path}: parent ${JSON.stringify(hint)} (CID ${expected ?? '?'}) not found; tried ${tried.join(', ') || '(no usable path)'}`, {
    code: 'VMDK_PARENT_NOT_FOUND',
    layer: VMDK_LAYER,
    details: { child: context.path, parentFileNameHint: hint, parentCid: expected ?? null, tried },
  });
}
