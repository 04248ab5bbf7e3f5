/**
 * Builds a file tree on a mounted ntfs-3g volume and records what it wrote as {@link FileFact}s.
 * NTFS-specific metadata goes through ntfs-3g's extended attributes (ntfs-3g "Extended attributes"
 * documentation): named streams (`user.NAME`), 8.3 names (`system.ntfs_dos_name`), attribute flags
 * (`system.ntfs_attrib_be`) and timestamps (`system.ntfs_times`, applied last because any later change
 * to a file or to a directory's index moves them).
 */
import { createHash } from 'node:crypto';
import { link, mkdir, open, readFile, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeletedFact, FileFact } from '../catalog.js';
import { sha256 } from '../util/content.js';
import { encodeNtfsTimes, type NtfsTimes } from './filetime.js';
import { encodeJunction } from './reparse.js';
import { applyXattrs, encodeAttrib, getXattr, type XattrOp } from './xattr.js';

/** Options shared by files and directories. */
export interface EntryOptions {
  times?: NtfsTimes;
  dosName?: string;
  streams?: { name: string; data: Uint8Array }[];
  /** Full attribute flags to set (files only; e.g. hidden | system | archive). */
  attributes?: number;
  /** Junction target (Win32 path such as `C:\\Users`), for an empty directory; applied after the times. */
  junction?: string;
  tags?: string[];
}

/** A sparse file: logical `size`, data only in `extents`, holes elsewhere. */
export interface SparseContent {
  size: number;
  extents: { offset: number; data: Uint8Array }[];
}

const ZERO_CHUNK = new Uint8Array(1 << 20);

function hashSparse(c: SparseContent): string {
  const h = createHash('sha256');
  let pos = 0;
  const sorted = [...c.extents].sort((a, b) => a.offset - b.offset);
  const zeros = (n: number) => {
    for (let left = n; left > 0; left -= ZERO_CHUNK.length) h.update(ZERO_CHUNK.subarray(0, Math.min(left, ZERO_CHUNK.length)));
  };
  for (const e of sorted) {
    zeros(e.offset - pos);
    h.update(e.data);
    pos = e.offset + e.data.length;
  }
  zeros(c.size - pos);
  return h.digest('hex');
}

/** Writes a tree under `root` (a mount point) and keeps the facts. */
export class TreeWriter {
  private readonly facts = new Map<string, FileFact>();
  private readonly deleted: DeletedFact[] = [];
  private early: XattrOp[] = [];
  private late: XattrOp[] = [];
  /** After the times: a reparse point makes ntfs-3g answer EIO for the path afterwards. */
  private final: XattrOp[] = [];
  fileCount = 0;
  dirCount = 0;

  constructor(
    readonly root: string,
    /** Record facts for each entry (off for huge generated trees, where only counts matter). */
    private readonly record = true,
  ) {}

  /** Host path of a volume path (`/a/b`). */
  host(p: string): string {
    return join(this.root, p);
  }

  /** Creates a directory (parents must exist unless `parents`). */
  async mkdir(p: string, o: EntryOptions & { parents?: boolean } = {}): Promise<void> {
    await mkdir(this.host(p), { recursive: o.parents ?? false });
    this.dirCount++;
    if (this.record) this.facts.set(p, { path: p, type: 'dir', ...this.meta(p, o) });
  }

  /** Writes a file with `content` (bytes or a sparse layout). */
  async file(p: string, content: Uint8Array | SparseContent, o: EntryOptions = {}): Promise<FileFact> {
    let size: number;
    let hash: string;
    if (content instanceof Uint8Array) {
      await writeFile(this.host(p), content);
      size = content.length;
      hash = this.record ? sha256(content) : '';
    } else {
      const fh = await open(this.host(p), 'w');
      try {
        for (const e of content.extents) await fh.write(e.data, 0, e.data.length, e.offset);
        await fh.truncate(content.size);
      } finally {
        await fh.close();
      }
      size = content.size;
      hash = hashSparse(content);
    }
    this.fileCount++;
    const fact: FileFact = { path: p, type: 'file', size, sha256: hash, ...this.meta(p, o) };
    if (this.record) this.facts.set(p, fact);
    return fact;
  }

  /** Records a file written directly through {@link host} (reads it back to hash it). */
  async adopt(p: string, tags: string[] = []): Promise<FileFact> {
    const data = await readFile(this.host(p));
    this.fileCount++;
    const fact: FileFact = { path: p, type: 'file', size: data.length, sha256: sha256(data), ...(tags.length ? { tags } : {}) };
    if (this.record) this.facts.set(p, fact);
    return fact;
  }

  /** Adds a hard link `newPath` to the existing file `target`; both facts list every name. */
  async link(target: string, newPath: string): Promise<void> {
    await link(this.host(target), this.host(newPath));
    const t = this.facts.get(target);
    if (!t) return;
    const names = [...(t.links ?? [target]), newPath];
    for (const n of names.slice(0, -1)) this.facts.get(n)!.links = names;
    const { dosName: _d, ...rest } = t;
    this.facts.set(newPath, { ...rest, path: newPath, links: names });
  }

  /** ORs `flags` into a directory's attributes now (e.g. compressed, before creating files in it). */
  async addDirAttributes(p: string, flags: number): Promise<void> {
    const cur = Buffer.from(await getXattr(this.host(p), 'system.ntfs_attrib_be')).readUInt32BE(0);
    await applyXattrs([{ path: this.host(p), name: 'system.ntfs_attrib_be', value: encodeAttrib(cur | flags) }]);
    const f = this.facts.get(p);
    if (f) f.attributes = (f.attributes ?? 0) | flags;
  }

  /** Removes a file or a whole directory tree, recording each removed entry as deleted. */
  async remove(p: string): Promise<void> {
    const st = await stat(this.host(p));
    if (st.isDirectory()) {
      for (const k of [...this.facts.keys()].filter((k) => k.startsWith(`${p}/`)).sort((a, b) => b.length - a.length)) {
        const f = this.facts.get(k)!;
        this.deleted.push({ path: k, type: f.type, size: f.size ?? 0 });
        this.facts.delete(k);
      }
      await rm(this.host(p), { recursive: true });
      this.deleted.push({ path: p, type: 'dir', size: 0 });
    } else {
      await unlink(this.host(p));
      this.deleted.push({ path: p, type: 'file', size: st.size });
    }
    this.facts.delete(p);
    this.dropOps(p);
  }

  /** Removes without recording (scratch files such as fragmentation fillers). */
  async discard(p: string): Promise<void> {
    const st = await stat(this.host(p));
    if (st.isDirectory()) await rmdir(this.host(p));
    else await unlink(this.host(p));
    if (this.facts.delete(p)) {
      if (st.isDirectory()) this.dirCount--;
      else this.fileCount--;
    }
    this.dropOps(p);
  }

  /** Adds tags to a recorded entry. */
  tag(p: string, ...tags: string[]): void {
    const f = this.facts.get(p);
    if (f) f.tags = [...new Set([...(f.tags ?? []), ...tags])];
  }

  /** Applies the queued streams, 8.3 names and attributes now (timestamps stay queued). */
  async flushEarly(): Promise<void> {
    await applyXattrs(this.early);
    this.early = [];
  }

  /** Applies the queued streams, 8.3 names and attributes, then the timestamps. */
  async finish(): Promise<{ files: FileFact[]; deleted: DeletedFact[] }> {
    await applyXattrs(this.early);
    await applyXattrs(this.late);
    await applyXattrs(this.final);
    this.early = [];
    this.late = [];
    this.final = [];
    const files = [...this.facts.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { files, deleted: [...this.deleted] };
  }

  private dropOps(p: string): void {
    const h = this.host(p);
    const keep = (o: XattrOp) => o.path !== h && !o.path.startsWith(`${h}/`);
    this.early = this.early.filter(keep);
    this.late = this.late.filter(keep);
    this.final = this.final.filter(keep);
  }

  private meta(p: string, o: EntryOptions): Partial<FileFact> {
    const h = this.host(p);
    const m: Partial<FileFact> = {};
    if (o.streams?.length) {
      for (const s of o.streams) this.early.push({ path: h, name: `user.${s.name}`, value: s.data });
      if (this.record) m.streams = o.streams.map((s) => ({ name: s.name, size: s.data.length, sha256: sha256(s.data) }));
    }
    if (o.dosName) {
      this.early.push({ path: h, name: 'system.ntfs_dos_name', value: Buffer.from(o.dosName, 'utf8') });
      m.dosName = o.dosName;
    }
    if (o.attributes !== undefined) {
      this.early.push({ path: h, name: 'system.ntfs_attrib_be', value: encodeAttrib(o.attributes) });
      m.attributes = o.attributes;
    }
    if (o.times) {
      this.late.push({ path: h, name: 'system.ntfs_times', value: encodeNtfsTimes(o.times) });
      m.times = {
        creation: o.times.creation.toString(),
        lastWrite: o.times.lastWrite.toString(),
        lastAccess: o.times.lastAccess.toString(),
      };
    }
    if (o.junction) {
      this.final.push({ path: h, name: 'system.ntfs_reparse_data', value: encodeJunction(o.junction) });
      m.junction = o.junction;
    }
    if (o.tags?.length) m.tags = [...o.tags];
    return m;
  }
}
