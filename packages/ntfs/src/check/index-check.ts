/**
 * B+ tree invariants of one index, read-only: entries in collation order
 * within every node and between a sub-tree and its bounding keys, all leaves
 * at the same depth, every sub-node VCN inside the allocation, marked in the
 * index $BITMAP, an INDX block carrying its own VCN, and referenced once;
 * no empty non-root leaf; no block marked in use but unreachable.
 * (ntfs-3g index.c and chkdsk's index verification are the model.)
 */
import { compareNamesIgnoreCase, keyName } from '../write/collation.js';
import { DirIndex } from '../write/dir-index.js';
import type { IndexNode } from '../write/index-node.js';
import type { WriteTxn } from '../write/txn.js';
import type { CheckFinding } from './types.js';

export interface IndexedName { dir: number; record: number; sequence: number; key: Uint8Array }

const MAX_DEPTH = 32;

/** Walks directory `dir`'s $I30, appending findings and every entry found to `entries`. */
export async function checkDirectoryIndex(txn: WriteTxn, dir: number, upcase: Uint16Array, findings: CheckFinding[], entries: IndexedName[]): Promise<void> {
  let index: DirIndex;
  try {
    index = await DirIndex.open(txn, dir);
  } catch (e) {
    findings.push({ code: 'INDEX_UNREADABLE', message: `directory ${dir}: ${(e as Error).message}`, records: [dir] });
    return;
  }
  const bitmap = await index.allocationBitmap().catch(() => null);
  const seen = new Set<number>();
  const leafDepths = new Set<number>();
  const cmp = (a: Uint8Array, b: Uint8Array): number => compareNamesIgnoreCase(keyName(a), keyName(b), upcase);
  const visit = async (node: IndexNode, depth: number, lo: Uint8Array | null, hi: Uint8Array | null): Promise<void> => {
    if (depth > MAX_DEPTH) {
      findings.push({ code: 'INDEX_TOO_DEEP', message: `directory ${dir}: index deeper than ${MAX_DEPTH}`, records: [dir] });
      return;
    }
    if (node.vcn !== 'root' && node.entries.length === 1 && node.entries[0].child === null) {
      findings.push({ code: 'INDEX_EMPTY_LEAF', message: `directory ${dir}: index block ${node.vcn} is an empty leaf`, records: [dir] });
    }
    let prev = lo;
    for (const e of node.entries) {
      if (!e.end) {
        if ((prev && cmp(prev, e.key) > 0) || (hi && cmp(e.key, hi) > 0)) {
          findings.push({ code: 'INDEX_ORDER', message: `directory ${dir}: "${String.fromCharCode(...keyName(e.key))}" in node ${String(node.vcn)} is out of collation order`, records: [dir, Number(e.fileRef & 0xffffffffffffn)] });
        }
        entries.push({ dir, record: Number(e.fileRef & 0xffffffffffffn), sequence: Number(e.fileRef >> 48n), key: e.key });
      }
      if (e.child !== null) {
        const vcn = e.child;
        if (seen.has(vcn)) {
          findings.push({ code: 'INDEX_BLOCK_SHARED', message: `directory ${dir}: index block ${vcn} is referenced twice`, records: [dir] });
        } else {
          seen.add(vcn);
          const bit = index.bitOf(vcn);
          if (!Number.isInteger(bit) || bit >= index.blockCount) {
            findings.push({ code: 'INDEX_VCN_INVALID', message: `directory ${dir}: sub-node VCN ${vcn} is outside the index allocation`, records: [dir] });
          } else {
            if (!bitmap || !((bitmap[bit >> 3] >> (bit & 7)) & 1)) {
              findings.push({ code: 'INDEX_BLOCK_NOT_IN_BITMAP', message: `directory ${dir}: index block ${vcn} is in use but clear in the $I30 $BITMAP`, records: [dir] });
            }
            let child: IndexNode | null = null;
            try {
              child = await index.readBlock(vcn);
            } catch (err) {
              findings.push({ code: 'INDEX_BLOCK_BAD', message: `directory ${dir}: index block ${vcn}: ${(err as Error).message}`, records: [dir] });
            }
            if (child) await visit(child, depth + 1, prev, e.end ? hi : e.key);
          }
        }
      } else {
        leafDepths.add(depth);
      }
      if (!e.end) prev = e.key;
    }
  };
  await visit(index.editor.root, 0, null, null);
  if (leafDepths.size > 1) {
    findings.push({ code: 'INDEX_UNBALANCED', message: `directory ${dir}: leaves at depths ${[...leafDepths].sort().join(', ')}`, records: [dir] });
  }
  if (bitmap) {
    const orphans: number[] = [];
    for (let bit = 0; bit < Math.min(index.blockCount, bitmap.length * 8); bit++) {
      if ((bitmap[bit >> 3] >> (bit & 7)) & 1) {
        const vcn = (bit * index.blockSize) / (index.blockSize >= txn.vol.geometry.clusterSize ? txn.vol.geometry.clusterSize : 512);
        if (!seen.has(vcn)) orphans.push(vcn);
      }
    }
    if (orphans.length) findings.push({ code: 'INDEX_BLOCK_UNREACHABLE', message: `directory ${dir}: index blocks ${orphans.slice(0, 10).join(', ')} are marked in use but unreachable`, records: [dir] });
  }
}
