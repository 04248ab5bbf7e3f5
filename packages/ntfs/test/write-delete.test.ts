/**
 * deleteFile on volumes built by mkntfs + ntfs-3g, judged by independent tools:
 * fls / fls -d (The Sleuth Kit), ntfsls -R, ntfsfix -n, file hashes through a
 * read-only ntfs-3g mount, and ntfs-3g deleting and listing again afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WritableFileSource } from '@coldfix/io';
import { deleteFile } from '../src/write/delete-file.js';
import { checkVolume } from '../src/check/check-volume.js';
import { RecordStore } from '../src/record/record-store.js';
import { WriteTxn } from '../src/write/txn.js';
import { DirIndex } from '../src/write/dir-index.js';
import { resolvePath } from '../src/write/resolve-path.js';
import { keyName } from '../src/write/collation.js';
import type { IndexNode } from '../src/write/index-node.js';
import { buildVolume, copyVolume, flsAllocated, flsDeleted, flsLong, hashAll, ntfsfixDry, ntfslsAll, withMount } from './write-fixtures.js';

const name = (k: Uint8Array): string => String.fromCharCode(...keyName(k));

/** Names of /big sitting in the root node, in internal non-root nodes, and in leaves (picked with our own index walk). */
async function bigDirPositions(img: string): Promise<{ root: string[]; internal: string[]; leaf: string[]; depth: number }> {
  const src = await WritableFileSource.openWritable(img);
  try {
    const vol = await RecordStore.open(src);
    const txn = new WriteTxn(vol);
    const { record } = await resolvePath(txn, '/big', await vol.upcase());
    const index = await DirIndex.open(txn, record);
    const out = { root: [] as string[], internal: [] as string[], leaf: [] as string[], depth: 0 };
    const walk = async (n: IndexNode, depth: number): Promise<void> => {
      out.depth = Math.max(out.depth, depth);
      for (const e of n.entries) {
        if (!e.end) (n.vcn === 'root' ? out.root : n.hasChildren ? out.internal : out.leaf).push(name(e.key));
        if (e.child !== null) await walk(await index.readBlock(e.child), depth + 1);
      }
    };
    await walk(index.editor.root, 0);
    return out;
  } finally {
    await src.close();
  }
}

async function del(img: string, path: string) {
  const src = await WritableFileSource.openWritable(img);
  try {
    return await deleteFile(src, path);
  } finally {
    await src.close();
  }
}

async function check(img: string) {
  const src = await WritableFileSource.openWritable(img);
  try {
    return await checkVolume(src);
  } finally {
    await src.close();
  }
}

const pathOf = (line: string): string => line.split('\t')[1];

describe('deleteFile on an mkntfs + ntfs-3g volume (4 KiB clusters)', () => {
  let base: string;
  let work: { path: string; dispose: () => void };
  let before: { fls: string[]; long: string[]; hashes: Map<string, string>; ls: string[] };
  const deleted: string[] = [];
  let current: string[] = [];
  const parents = new Set<string>(['']);

  beforeAll(() => {
    base = buildVolume('tree');
    work = copyVolume(base);
    before = { fls: flsAllocated(base), long: flsLong(base), hashes: hashAll(base), ls: ntfslsAll(base) };
    current = before.fls;
  });
  afterAll(() => work?.dispose());

  const gone = (paths: string[]) => (line: string): boolean => {
    const p = pathOf(line);
    return paths.some((d) => p === d || p.startsWith(`${d}:`));
  };

  const cases: [string, string, string[]][] = [
    ['a name in a directory whose index is only a resident root', 'small/only.txt', []],
    ['a name in a leaf INDX block', 'leaf/file 100.txt', []],
    ['a name in the root directory (INDX)', 'a.txt', []],
    ['a fragmented file', 'frag.bin', []],
    ['a compressed file', 'comp/c.txt', []],
    ['a sparse file', 'sparse.bin', []],
    ['a file with alternate data streams', 'ads.txt', []],
    ['a file with three hard links (every name goes)', 'small/link1.txt', ['leaf/link2.txt', 'link3.txt']],
    ['a file with a Win32 + DOS name pair', 'Long Name For Dos.txt', ['LONGNA~1.TXT']],
    ['a file with an attribute list', 'alist.txt', []],
    ['a file four directories deep', 'deep/a/b/c/d.txt', []],
  ];

  for (const [what, path, others] of cases) {
    it(`deletes ${what}: gone from fls and ntfsls, shown deleted by fls -d, check() clean`, async () => {
      const flsBefore = current;
      const r = await del(work.path, `/${path}`);
      expect(r.names.length).toBeGreaterThanOrEqual(1 + others.filter((o) => !o.includes('~')).length);
      deleted.push(path, ...others);
      for (const p of [path, ...others]) parents.add(p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
      const after = flsAllocated(work.path);
      expect([...after].sort()).toEqual(flsBefore.filter((l) => !gone([path, ...others])(l)).sort());
      expect(after.some(gone([path]))).toBe(false);
      current = after;
      const ls = ntfslsAll(work.path);
      expect(ls).not.toContain(path);
      for (const o of others) expect(ls).not.toContain(o);
      const c = await check(work.path);
      expect(c.findings).toEqual([]);
    });
  }

  it('deletes names sitting in the root, an internal node and a leaf of a 3-level $I30 tree', async () => {
    const pos = await bigDirPositions(work.path);
    expect(pos.depth).toBeGreaterThanOrEqual(2);
    expect(pos.internal.length).toBeGreaterThan(0);
    const targets = [pos.root[0], pos.root[pos.root.length - 1], pos.internal[0], pos.internal[Math.floor(pos.internal.length / 2)], pos.leaf[3], pos.leaf[pos.leaf.length - 1]];
    for (const t of targets) {
      await del(work.path, `/big/${t}`);
      deleted.push(`big/${t}`);
      const c = await check(work.path);
      expect(c.findings, `after deleting big/${t}`).toEqual([]);
    }
    parents.add('big');
    const ls = ntfslsAll(work.path);
    for (const t of targets) expect(ls).not.toContain(`big/${t}`);
  });

  it('leaves every other file, name and time as it was (fls -l, ntfsls -R, content hashes), and ntfsfix -n finds nothing', () => {
    const shownDeleted = flsDeleted(work.path);
    for (const p of deleted) if (!p.includes('~')) expect(shownDeleted, 'fls -d').toContain(p);
    const isDeleted = (p: string): boolean => deleted.some((d) => p === d || p.startsWith(`${d}:`));
    const parentLine = (l: string): boolean => parents.has(pathOf(l));
    expect(flsLong(work.path).filter((l) => !parentLine(l)).sort()).toEqual(before.long.filter((l) => !isDeleted(pathOf(l)) && !parentLine(l)).sort());
    expect(ntfslsAll(work.path)).toEqual(before.ls.filter((p) => !isDeleted(p)));
    const hashes = hashAll(work.path);
    const expected = new Map([...before.hashes].filter(([p]) => !isDeleted(p)));
    expect(hashes).toEqual(expected);
    const fix = ntfsfixDry(work.path);
    expect(fix.ok, fix.output).toBe(true);
  });

  it('ntfs-3g can still delete and list in every touched directory afterwards, and check() stays clean', async () => {
    const out = withMount(work.path, `rm -f "leaf/file 101.txt" "small/two.txt" root2.txt "big/${(await bigDirPositions(work.path)).leaf[0]}"; ls leaf | wc -l; ls small | wc -l; ls big | wc -l`);
    const [leaf, small, big] = out.trim().split('\n').map(Number);
    expect(leaf).toBe(200 - 2 + 0); // 200 files - file 100 - file 101 (link2 deleted with its file)
    expect(small).toBe(0);
    expect(big).toBe(4000 - 7);
    const c = await check(work.path);
    expect(c.findings).toEqual([]);
    expect(ntfsfixDry(work.path).ok).toBe(true);
  });
});
