/**
 * `ntfs-windows-large` (benchmarks only: `npm run images -- --bench ntfs-windows-large`): a bare NTFS
 * volume shaped like a Windows 10 22H2 system volume at full scale (229,317 names with the default seed), for listing
 * throughput against fls / ntfsls where directory sizes matter (fls slows sharply in directories of
 * tens of thousands of entries, which `ntfs-large`'s 200 x 1,000 layout does not have).
 *
 * What the shape is based on (orders of magnitude, not one measured volume):
 * - Microsoft, "Manage the Component Store" and "Determine the Actual Size of the WinSxS Folder"
 *   (learn.microsoft.com, Windows hardware/manufacture docs): WinSxS holds every component version,
 *   `Manifests`, `Catalogs`, `Backup`, `FileMaps`, `Temp`; files elsewhere (System32, SysWOW64, drivers)
 *   are hard links of the WinSxS payload files.
 * - Component directory names `arch_name_publicKeyToken_version_culture_hash` with names over 40
 *   characters abbreviated with `..` (as `dir C:\Windows\WinSxS` shows on any Windows 10 install);
 *   a Windows 10 22H2 install after a few cumulative updates has ~15-20k of them and ~20k+ manifests.
 * - System32 ~4-5k names at its top level, DriverStore/FileRepository ~800 driver packages
 *   (`name.inf_amd64_<16 hex>`), `winevt/Logs` ~400 `.evtx` (`%4` for `/` in channel names),
 *   SysWOW64 ~2k, `servicing/Packages` ~10k `.mum`/`.cat`: typical `dir /s` counts of such installs.
 * - 8.3 names: created on the system volume of a default install (registry
 *   NtfsDisable8dot3NameCreation = 2, the per-volume setting, and the volume's own flag left on:
 *   `fsutil 8dot3name query C:`; `dir /x` shows PROGRA~1 and the WinSxS short names); extra hard
 *   links get none.
 * The plan itself is in windows-large-plan.ts.
 *
 * Built with ntfs-3g FUSE (8 writes in flight), 8.3 names through `system.ntfs_dos_name`, streams
 * through `user.Zone.Identifier`; some files (and one directory) are created and then deleted at the
 * end so `--deleted` has work. Only counts are recorded (no file list).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeletedFact } from '../catalog.js';
import type { BuildContext, BuildResult, Scenario } from '../scenario.js';
import { forEachLimit } from '../util/content.js';
import { makeNtfs } from '../ntfs/mkntfs.js';
import { withNtfsMount } from '../ntfs/mount.js';
import { ntfsfixCheck } from '../ntfs/inspect.js';
import { TreeWriter } from '../ntfs/tree-writer.js';
import { applyXattrs, type XattrOp } from '../ntfs/xattr.js';
import { planWindowsLarge, type WindowsLargeOptions } from './windows-large-plan.js';
import type { LargePlan } from './windows-large-planner.js';

const GiB = 1024 * 1024 * 1024;
const EMPTY = new Uint8Array(0);
const params = { size: 4 * GiB, seed: 20221018, scale: 1, user: 'alice', dosNames: true } satisfies WindowsLargeOptions & { size: number };

/** Content of a planned file: its path repeated (cheap, deterministic); PE-like names start with MZ. */
function contentOf(path: string, size: number): Uint8Array {
  const pe = /\.(dll|exe|sys|cpl|ocx|ax|acm|scr)$/i.test(path);
  return size === 0 ? new Uint8Array(0) : Buffer.alloc(size, `${pe ? 'MZ' : ''}${path}\r\n`);
}

/** Names (directories, files, links, minus deletions) per directory, and the biggest directories. */
export function planCounts(plan: LargePlan): Record<string, unknown> {
  const per = new Map<string, number>();
  const parent = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';
  const gone = new Set(plan.deleted.map((d) => d.path));
  for (const p of [...plan.dirs.map((d) => d.path), ...plan.files.map((f) => f.path), ...plan.links.map((l) => l.path)])
    if (!gone.has(p)) per.set(parent(p), (per.get(parent(p)) ?? 0) + 1);
  const biggest = [...per.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
  const under = (prefix: string) => [...per.entries()].filter(([d]) => d === prefix || d.startsWith(`${prefix}/`)).reduce((s, [, c]) => s + c, 0);
  const winsxs = plan.dirs.filter((d) => /^\/Windows\/WinSxS\/[^/]+_[0-9a-f]{16}$/.test(d.path)).length;
  const driverPackages = plan.dirs.filter((d) => /^\/Windows\/System32\/DriverStore\/FileRepository\/[^/]+$/.test(d.path)).length;
  return {
    biggestDirectories: Object.fromEntries(biggest),
    winsxsComponentDirs: winsxs,
    driverStorePackages: driverPackages,
    namesUnder: Object.fromEntries(['/Windows/WinSxS', '/Windows/System32', '/Windows/SysWOW64', '/Windows/servicing', '/Windows/Microsoft.NET', '/Windows/assembly', '/Program Files', '/Program Files (x86)', '/ProgramData', '/Users'].map((d) => [d, under(d)])),
  };
}

/** What {@link buildWindowsLarge} made. */
export interface WindowsLargeResult {
  deleted: DeletedFact[];
  fileCount: number;
  dirCount: number;
  notes: Record<string, unknown>;
}

/**
 * Formats `image` (sparse, `size` bytes) and fills it with the plan of `o` through ntfs-3g.
 * @throws Error when FUSE, mkntfs, ntfs-3g or a setxattr fails, or ntfsfix -n finds a problem.
 */
export async function buildWindowsLarge(image: string, mountPoint: string, size: number, o: WindowsLargeOptions, log: (m: string) => void): Promise<WindowsLargeResult> {
  const plan = planWindowsLarge(o);
  await makeNtfs(image, { size, label: 'Windows' });
  const t0 = Date.now();
  const secs = () => ((Date.now() - t0) / 1000).toFixed(0);
  let dosCount = 0;
  const r = await withNtfsMount(image, mountPoint, async (root) => {
    const w = new TreeWriter(root, false);
    const dosOp = (p: string, name: string): XattrOp => ({ path: w.host(p), name: 'system.ntfs_dos_name', value: Buffer.from(name) });
    const setDos = async (ops: XattrOp[]) => {
      for (let i = 0; i < ops.length; i += 10_000) await applyXattrs(ops.slice(i, i + 10_000));
      dosCount += ops.length;
    };
    // 8.3 names are given while a directory is still empty and a file has no data yet, as Windows
    // names an entry when it creates it: ntfs-3g adding the DOS name to a full record would move the
    // index root or resident data out to an extension record ($ATTRIBUTE_LIST), which Windows does not.
    const byDepth = new Map<number, typeof plan.dirs>();
    for (const d of plan.dirs) {
      const depth = d.path.split('/').length;
      if (!byDepth.has(depth)) byDepth.set(depth, []);
      byDepth.get(depth)!.push(d);
    }
    for (const depth of [...byDepth.keys()].sort((a, b) => a - b)) {
      const level = byDepth.get(depth)!;
      await forEachLimit(level, 8, (d) => w.mkdir(d.path));
      await setDos(level.filter((d) => d.dosName).map((d) => dosOp(d.path, d.dosName!)));
    }
    log(`${plan.dirs.length} directories, ${secs()} s`);
    const named = plan.files.filter((f) => f.dosName);
    await forEachLimit(named, 8, (f) => writeFile(w.host(f.path), EMPTY));
    await setDos(named.map((f) => dosOp(f.path, f.dosName!)));
    log(`${dosCount} 8.3 names, ${secs()} s`);
    let done = 0;
    await forEachLimit(plan.files, 8, async (f) => {
      const opts = f.streams ? { streams: f.streams } : {};
      const data = contentOf(f.path, f.size);
      await w.file(f.path, f.sparseSize ? { size: f.sparseSize, extents: [{ offset: 0, data }] } : data, opts);
      if (++done % 20_000 === 0) log(`${done} / ${plan.files.length} files, ${secs()} s`);
    });
    await forEachLimit(plan.links, 8, (l) => w.link(l.target, l.path));
    log(`${plan.links.length} hard links, ${secs()} s`);
    await w.flushEarly(); // the Zone.Identifier streams
    // Deleted last, so no later file reuses their MFT records.
    for (const d of plan.deleted) await w.remove(d.path);
    const fin = await w.finish();
    return { deleted: fin.deleted, files: w.fileCount, dirs: w.dirCount };
  });
  const fillSeconds = (Date.now() - t0) / 1000;
  log(`filled in ${fillSeconds.toFixed(0)} s`);
  await ntfsfixCheck(image);
  const deletedFiles = r.deleted.filter((d) => d.type === 'file').length;
  const deletedDirs = r.deleted.length - deletedFiles;
  return {
    deleted: r.deleted,
    fileCount: r.files - deletedFiles,
    dirCount: r.dirs - deletedDirs,
    notes: {
      names: r.files + r.dirs + plan.links.length - r.deleted.length,
      filesCreated: r.files,
      dirsCreated: r.dirs,
      hardLinks: plan.links.length,
      dosNames: dosCount,
      alternateDataStreams: plan.files.filter((f) => f.streams).length,
      deletedFiles,
      deletedDirs,
      dataBytes: plan.files.reduce((s, f) => s + f.size, 0),
      residentFiles: plan.files.filter((f) => f.size <= 700).length,
      ...planCounts(plan),
      fillSeconds,
    },
  };
}

export const ntfsWindowsLarge: Scenario = {
  name: 'ntfs-windows-large',
  description: 'Benchmark volume: a Windows 10 22H2 system volume at full scale (~230,000 names, WinSxS 15k dirs, 20k-entry directories, hard links, 8.3 names)',
  version: 1,
  params,
  deps: [],
  bench: true,
  async build(ctx: BuildContext): Promise<BuildResult> {
    const image = join(ctx.outDir, 'ntfs-windows-large.img');
    const { size, ...options } = params;
    const r = await buildWindowsLarge(image, ctx.mountPoint('winlarge'), size, options, ctx.log);
    return {
      image,
      format: 'raw',
      virtualSize: size,
      fileSize: size,
      volumes: [
        {
          offset: 0, size, fs: 'ntfs', label: 'Windows', clusterSize: 4096, sectorSize: 512,
          fileCount: r.fileCount, dirCount: r.dirCount, deleted: r.deleted, notes: r.notes,
        },
      ],
    };
  },
};
