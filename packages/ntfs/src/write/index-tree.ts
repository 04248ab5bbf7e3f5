/**
 * Removing one entry from an NTFS index B+ tree ($I30, or any index) while
 * keeping it valid, on an in-memory working copy of the nodes it touches.
 *
 * The shape of the result follows ntfs-3g's index.c (ntfs_index_rm,
 * ntfs_index_rm_node, ntfs_index_rm_leaf, ntfs_ih_takeout, ntfs_ir_leafify,
 * ntfs_ih_reparent_end), read and re-derived, not copied:
 *  - entry in a leaf: removed; a non-root leaf left with only its end entry is
 *    freed and its parent entry is taken out and re-inserted as a leaf entry;
 *  - entry in an internal node: replaced by its in-order successor (first entry
 *    of the leftmost leaf of the next sub-tree), keeping its sub-node pointer;
 *    if the replacement does not fit, the in-order predecessor is used instead;
 *  - the root, left with only an end entry pointing at a freed block, becomes a
 *    leaf again ("leafify").
 * Re-insertion never splits: when the leaf that should take the parent key is
 * full, keys rotate through the parent instead (the emptied leaf keeps the
 * parent key, its neighbour key moves up); only if the parent itself then
 * overflows does the caller get NTFS_INDEX_SPLIT_NEEDED, before anything is written.
 *
 *        [ ... P ... ]            P's sub-tree holds keys < P and > the entry before P
 *             │
 *        [ a b c END ]            leaf
 */
import { CorruptError, UnsupportedError } from '@coldfix/io';
import { entryLength, nodeLength, type IndexEntry, type IndexNode } from './index-node.js';

/** Where an entry sits: the chain of (node, position) from the root. */
export type IndexPath = { node: IndexNode; pos: number }[];

export interface NodeLoader {
  /** Decodes the INDX block at `vcn` (a fresh object each call). */
  (vcn: number): Promise<IndexNode>;
}

const MAX_DEPTH = 32;
const LAYER = 'ntfs-write';

/** A working copy of one index's tree with the edits made so far. */
export class IndexEditor {
  readonly nodes = new Map<number, IndexNode>();
  readonly dirty = new Set<IndexNode>();
  /** VCNs of blocks freed (their bit must be cleared in the index $BITMAP). */
  readonly freed = new Set<number>();
  /** How many times keys were rotated through a parent instead of overfilling a full leaf. */
  rotations = 0;

  /**
   * @param root decoded $INDEX_ROOT node (a working copy; edited in place)
   * @param loadNode decodes an INDX block by VCN
   * @param capacity bytes a node may use (header + entries); the root's is given by its record's free space
   */
  constructor(
    readonly root: IndexNode,
    private readonly loadNode: NodeLoader,
    private readonly capacity: (node: IndexNode) => number,
  ) {}

  async node(vcn: number): Promise<IndexNode> {
    if (this.freed.has(vcn)) throw new CorruptError(`index block ${vcn} referenced after it was freed (cycle)`, { code: 'NTFS_INDEX_CYCLE', layer: LAYER, details: { vcn } });
    let n = this.nodes.get(vcn);
    if (!n) {
      n = await this.loadNode(vcn);
      this.nodes.set(vcn, n);
    }
    return n;
  }

  /**
   * Finds an entry. `compare(key)` orders the target against an entry key
   * (negative: target sorts before it), ignoring case as the collation does;
   * `matches(entry)` picks the exact entry among equal keys.
   */
  async find(compare: (key: Uint8Array) => number, matches: (e: IndexEntry) => boolean): Promise<IndexPath | null> {
    const walk = async (node: IndexNode, path: IndexPath): Promise<IndexPath | null> => {
      if (path.length >= MAX_DEPTH) throw new CorruptError('index tree deeper than 32 levels', { code: 'NTFS_INDEX_TOO_DEEP', layer: LAYER });
      for (let pos = 0; pos < node.entries.length; pos++) {
        const e = node.entries[pos];
        const c = e.end ? -1 : compare(e.key);
        if (c > 0) continue;
        if (c === 0 && matches(e)) return [...path, { node, pos }];
        if (e.child !== null) {
          const found = await walk(await this.node(e.child), [...path, { node, pos }]);
          if (found) return found;
        }
        if (c < 0) return null;
      }
      return null;
    };
    return walk(this.root, []);
  }

  private touch(n: IndexNode): void {
    this.dirty.add(n);
  }

  /** Removes the entry at the end of `path`. Throws NTFS_INDEX_SPLIT_NEEDED when the result would need a node split. */
  async remove(path: IndexPath, preferPredecessor = false): Promise<void> {
    const { node, pos } = path[path.length - 1];
    const e = node.entries[pos];
    if (e.end) throw new CorruptError('cannot remove an end entry', { code: 'NTFS_INDEX_REMOVE_END', layer: LAYER });
    if (e.child === null) {
      node.entries.splice(pos, 1);
      this.touch(node);
      if (node !== this.root && node.entries.length === 1) await this.removeEmptyLeaf(path.slice(0, -1), node);
    } else {
      // Internal entry: replace by a neighbour key taken from a leaf.
      const sub: IndexPath = path.slice(0, -1);
      let leaf: IndexNode;
      let taken: IndexEntry;
      if (!preferPredecessor) {
        sub.push({ node, pos: pos + 1 });
        leaf = await this.node(node.entries[pos + 1].child!);
        while (leaf.hasChildren) {
          sub.push({ node: leaf, pos: 0 });
          leaf = await this.node(leaf.entries[0].child!);
          this.depthCheck(sub);
        }
        if (leaf.entries.length < 2) throw new CorruptError(`empty index block ${String(leaf.vcn)}`, { code: 'NTFS_INDEX_EMPTY_BLOCK', layer: LAYER });
        taken = leaf.entries.splice(0, 1)[0];
      } else {
        sub.push({ node, pos });
        leaf = await this.node(e.child);
        while (leaf.hasChildren) {
          const last = leaf.entries.length - 1;
          sub.push({ node: leaf, pos: last });
          leaf = await this.node(leaf.entries[last].child!);
          this.depthCheck(sub);
        }
        if (leaf.entries.length < 2) throw new CorruptError(`empty index block ${String(leaf.vcn)}`, { code: 'NTFS_INDEX_EMPTY_BLOCK', layer: LAYER });
        taken = leaf.entries.splice(leaf.entries.length - 2, 1)[0];
      }
      node.entries[pos] = { ...taken, child: e.child };
      this.touch(node);
      this.touch(leaf);
      if (leaf.entries.length === 1) await this.removeEmptyLeaf(sub, leaf);
    }
  }

  private depthCheck(path: IndexPath): void {
    if (path.length > MAX_DEPTH) throw new CorruptError('index tree deeper than 32 levels', { code: 'NTFS_INDEX_TOO_DEEP', layer: LAYER });
  }

  /** `leaf` (reached through parentPath's last element) holds only its end entry: free it and fix its parent. */
  private async removeEmptyLeaf(parentPath: IndexPath, leaf: IndexNode): Promise<void> {
    if (leaf.vcn === 'root') return;
    this.freed.add(leaf.vcn);
    // The freed block is still written, with its live area emptied (only the end entry): tools that
    // read every INDX block without consulting $BITMAP (The Sleuth Kit) would otherwise list its
    // last name as allocated. The removed entries stay in the slack, as Windows leaves them.
    this.touch(leaf);
    const { node: parent, pos } = parentPath[parentPath.length - 1];
    const pe = parent.entries[pos];
    if (pe.child !== leaf.vcn) throw new CorruptError('index path does not lead to the emptied block', { code: 'NTFS_INDEX_PATH', layer: LAYER });
    this.touch(parent);
    if (!pe.end) {
      // ntfs_ih_takeout: the parent key leaves with its pointer and goes back in as a leaf entry,
      // at the front of the leftmost leaf of the sub-tree that follows it.
      const target = await this.edgeLeaf([...parentPath.slice(0, -1), { node: parent, pos: pos + 1 }], 'first');
      if (this.fits(target.leaf, { ...pe, child: null })) {
        parent.entries.splice(pos, 1);
        target.leaf.entries.unshift({ ...pe, child: null });
        this.touch(target.leaf);
        return;
      }
      // That leaf is full (ntfs-3g would split it): rotate instead. The emptied leaf keeps the parent
      // key; the parent key's successor (first entry of that full leaf) moves up in its place.
      this.rotations++;
      const succ = target.leaf.entries.shift()!;
      await this.refill(leaf, pe);
      parent.entries[pos] = { ...succ, child: leaf.vcn };
      this.touch(target.leaf);
      if (target.leaf.entries.length === 1) await this.removeEmptyLeaf(target.path, target.leaf);
      return;
    }
    if (parent.entries.length === 1) {
      if (parent === this.root) {
        // ntfs_ir_leafify: the root's end entry loses its pointer; the root is a leaf again.
        parent.entries[0] = { ...pe, child: null };
        parent.hasChildren = false;
        return;
      }
      await this.removeEmptyLeaf(parentPath.slice(0, -1), parent);
      return;
    }
    // ntfs_ih_reparent_end: the end entry adopts the previous entry's sub-tree; that entry goes back in
    // as a leaf entry at the end of the rightmost leaf of that sub-tree.
    const prev = parent.entries[pos - 1];
    const target = await this.edgeLeaf([...parentPath.slice(0, -1), { node: parent, pos: pos - 1 }], 'last');
    if (this.fits(target.leaf, { ...prev, child: null })) {
      parent.entries[pos] = { ...pe, child: prev.child };
      parent.entries.splice(pos - 1, 1);
      target.leaf.entries.splice(target.leaf.entries.length - 1, 0, { ...prev, child: null });
      this.touch(target.leaf);
      return;
    }
    // The rightmost leaf of the previous sub-tree is full: rotate. The emptied leaf keeps the previous
    // key; that key's predecessor (last entry of the full leaf) moves up in its place.
    this.rotations++;
    const pred = target.leaf.entries.splice(target.leaf.entries.length - 2, 1)[0];
    await this.refill(leaf, prev);
    parent.entries[pos - 1] = { ...pred, child: prev.child };
    this.touch(target.leaf);
    if (target.leaf.entries.length === 1) await this.removeEmptyLeaf(target.path, target.leaf);
  }

  /**
   * Revives an emptied sub-tree so it holds one key, keeping every leaf at the same depth: `node` is an
   * emptied leaf, or an emptied internal node whose only (end) entry leads down a chain of emptied
   * nodes to an emptied leaf. The chain comes back into use and the key goes into its leaf.
   * (Putting the key straight into an emptied internal node would make it a leaf one level too high.)
   */
  private async refill(node: IndexNode, key: IndexEntry): Promise<void> {
    let n = node;
    for (let depth = 0; ; depth++) {
      if (depth > MAX_DEPTH) throw new CorruptError('index tree deeper than 32 levels', { code: 'NTFS_INDEX_TOO_DEEP', layer: LAYER });
      if (n.vcn !== 'root') this.freed.delete(n.vcn);
      this.touch(n);
      if (!n.hasChildren) break;
      const child = n.entries[n.entries.length - 1].child;
      if (n.entries.length !== 1 || child === null) {
        throw new CorruptError(`emptied index node ${String(n.vcn)} still holds entries`, { code: 'NTFS_INDEX_PATH', layer: LAYER });
      }
      this.freed.delete(child);
      n = await this.node(child);
    }
    n.entries = [{ ...key, child: null }, n.entries[n.entries.length - 1]];
  }

  /** The leftmost ('first') or rightmost ('last') leaf under path's last (node, pos), with the path to it. */
  private async edgeLeaf(path: IndexPath, edge: 'first' | 'last'): Promise<{ leaf: IndexNode; path: IndexPath }> {
    const p: IndexPath = [...path];
    const { node, pos } = p[p.length - 1];
    let n = await this.node(node.entries[pos].child!);
    while (n.hasChildren) {
      const at = edge === 'first' ? 0 : n.entries.length - 1;
      p.push({ node: n, pos: at });
      n = await this.node(n.entries[at].child!);
      this.depthCheck(p);
    }
    return { leaf: n, path: p };
  }

  /** Whether `entry` can join `node` without exceeding its space. */
  private fits(node: IndexNode, entry: IndexEntry): boolean {
    return nodeLength(node) + entryLength(entry) <= this.capacity(node);
  }

  /** Throws NTFS_INDEX_SPLIT_NEEDED when an edited node no longer fits its space. */
  checkCapacity(): void {
    for (const n of this.dirty) {
      const need = nodeLength(n);
      const room = this.capacity(n);
      if (need > room) {
        throw new UnsupportedError(`index node ${String(n.vcn)} would need ${need} bytes but has ${room}: a node split is not implemented`, {
          code: 'NTFS_INDEX_SPLIT_NEEDED', layer: LAYER, details: { vcn: String(n.vcn), need, room },
        });
      }
    }
  }
}

export { entryLength };
