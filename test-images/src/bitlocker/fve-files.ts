/**
 * Reserving the BitLocker regions the way Windows does: with files in "System Volume Information".
 *
 * Windows 7 and later own the clusters of the three FVE metadata blocks with
 * `FVE2.{e40ad34d-dae9-4bc7-95bd-b16218c10f72}.1`, `.2`, `.3` (64 KiB each) and the clusters of the
 * encrypted volume-header backup with `FVE2.{24e6f0ae-6a00-4f73-984b-75ce9942852d}` (8 KiB), so NTFS
 * (and chkdsk) sees them as ordinary allocated files. Sources: libyal libbde "BitLocker Drive
 * Encryption (BDE) format", section "Metadata files" (FVE2.{GUID}.[123] 65536 bytes map the FVE
 * metadata; FVE2.{GUID} 8192 bytes maps the encrypted volume header; their content reads as zeros on
 * the unlocked volume); Windows' own FilesNotToBackup registry list (FVE2_Control =
 * `FVE2.{e40ad34d…}.*`, FVE2_VBB = `FVE2.{24e6f0ae…}`), as recorded by regipy's tests of a Windows 10
 * 1709 SYSTEM hive; directory listings of decrypted Windows 10 volumes in public CTF write-ups.
 *
 * Here the plaintext NTFS is mounted with ntfs-3g (FUSE), the folder and the four files are created
 * with non-zero content (so they are non-resident and allocated; ntfs-3g allocates contiguously),
 * given hidden + system (+ archive, which NTFS sets on any new file), the volume is unmounted, and
 * each file's single data run is read back from the MFT: the writer then puts the metadata blocks
 * and the header backup exactly there.
 */
import { randomUUID } from 'node:crypto';
import { access, mkdir, mkdtemp, open, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { withNtfsMount } from '../ntfs/mount.js';
import { applyXattrs, encodeAttrib } from '../ntfs/xattr.js';
import { run } from '../util/run.js';
import { corrupt, noRoom } from './errors.js';
import { parseNtfsBootSector, type NtfsGeometry } from './ntfs-bitmap.js';
import { readMftFile } from './ntfs-mft.js';
import type { FveRegions } from './types.js';

/** Folder Windows keeps them in. */
export const SVI = 'System Volume Information';
/** FVE2_Control: the three metadata-block files are this name + `.1`, `.2`, `.3`. */
export const FVE2_CONTROL = 'FVE2.{e40ad34d-dae9-4bc7-95bd-b16218c10f72}';
/** FVE2_VBB: the file over the encrypted backup of the original volume header. */
export const FVE2_VBB = 'FVE2.{24e6f0ae-6a00-4f73-984b-75ce9942852d}';
/** FILE_ATTRIBUTE_HIDDEN | SYSTEM | ARCHIVE (MS-FSCC 2.6). Whether Windows also sets READONLY is not documented. */
export const FVE2_ATTRIBUTES = 0x26;
const SVI_ATTRIBUTES = 0x16; // hidden | system | directory, as Windows' own folder

/** One owner file as found in the MFT after unmounting. */
export interface FveFile {
  /** Volume path, e.g. `/System Volume Information/FVE2.{…}.1`. */
  path: string;
  mftRecord: number;
  /** Byte offset of its (single) data run, from the volume start. */
  offset: number;
  /** File size in bytes. */
  size: number;
}

/** Options of {@link createFveFiles}. */
export interface FveFilesOptions {
  /** Size of the header-backup file: the bytes BitLocker relocates (default 8192). */
  headerBytes?: number;
  /** How a volume inside a larger image is mounted: a loop device, or a copy written back (default: loop, else copy). */
  via?: 'auto' | 'loop' | 'copy';
  /** Rounds of re-creating a fragmented file before giving up (default 3). */
  rounds?: number;
}

/** What {@link createFveFiles} made: the regions and the four files. */
export interface FveFilesResult extends FveRegions {
  files: FveFile[];
  /** How the volume was mounted. */
  via: 'file' | 'loop' | 'copy';
}

const METADATA_BYTES = 0x10000;
const exists = (p: string) => access(p).then(() => true, () => false);

/**
 * Creates the four FVE2 owner files in the plaintext NTFS at [offset, offset+size) of `imagePath`
 * and returns where NTFS put them. Needs root, /dev/fuse and ntfs-3g (and losetup for a volume
 * inside a disk image, else a temporary copy of the volume next to the image).
 * @throws LimitExceededError BLW_FVE_FRAGMENTED when a file stays fragmented after the retries
 *   (the files are removed again), BLW_NO_ROOM when NTFS is full; CorruptError for unreadable MFT
 *   records; ToolError/Error from the tools.
 */
export async function createFveFiles(imagePath: string, offset: number, size: number, options: FveFilesOptions = {}): Promise<FveFilesResult> {
  const headerBytes = options.headerBytes ?? 8192;
  const wanted = [
    { name: `${FVE2_CONTROL}.1`, bytes: METADATA_BYTES },
    // Right after block 1, as in the Windows 10 samples (block 1 at 0x21F0000, header backup at 0x2200000).
    { name: FVE2_VBB, bytes: headerBytes },
    { name: `${FVE2_CONTROL}.2`, bytes: METADATA_BYTES },
    { name: `${FVE2_CONTROL}.3`, bytes: METADATA_BYTES },
  ];
  const scratch = await mkdtemp(join(tmpdir(), 'coldfix-fve2-'));
  try {
    return await onVolume(imagePath, offset, size, options.via ?? 'auto', scratch, async (device, via) => {
      const mountPoint = join(scratch, 'mnt');
      const records = new Map<string, number>();
      let bad = wanted.map((w) => w.name);
      for (let round = 0; round < (options.rounds ?? 3) && bad.length; round++) {
        await withNtfsMount(device, mountPoint, async (root) => {
          const dir = join(root, SVI);
          if (!(await exists(dir))) {
            await mkdir(dir);
            await applyXattrs([{ path: dir, name: 'system.ntfs_attrib_be', value: encodeAttrib(SVI_ATTRIBUTES) }]);
          }
          // A fragmented file keeps its clusters (renamed) while its replacement is written, so the
          // allocator has to look further for a contiguous run; the old one is deleted afterwards.
          const parked: string[] = [];
          for (const name of bad) {
            const path = join(dir, name);
            if (await exists(path)) {
              const tmp = join(dir, `coldfix-parked-${randomUUID()}`);
              await rename(path, tmp);
              parked.push(tmp);
            }
          }
          for (const w of wanted.filter((x) => bad.includes(x.name))) {
            const path = join(dir, w.name);
            // Non-zero content: the file is allocated (not resident, not sparse); readers of the
            // unlocked volume show these regions as zeros, like Windows' files.
            try {
              await writeFile(path, Buffer.alloc(w.bytes, 0xfe));
            } catch (e) {
              if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw noRoom('BLW_NO_ROOM', `no room in the NTFS for ${w.name}`);
              throw e;
            }
            records.set(w.name, (await stat(path)).ino); // ntfs-3g reports the MFT record number as the inode
            await applyXattrs([{ path, name: 'system.ntfs_attrib_be', value: encodeAttrib(FVE2_ATTRIBUTES) }]);
          }
          for (const p of parked) await rm(p);
        });
        const found = await readFiles(device, wanted, records);
        bad = found.filter((f) => f.fragmented).map((f) => f.name);
        if (!bad.length) {
          const files = found.map((f) => ({ path: `/${SVI}/${f.name}`, mftRecord: f.record, offset: f.offset, size: f.size }));
          return { metadataOffsets: [files[0].offset, files[2].offset, files[3].offset], volumeHeaderOffset: files[1].offset, files, via };
        }
      }
      await withNtfsMount(device, mountPoint, async (root) => {
        for (const w of wanted) await rm(join(root, SVI, w.name), { force: true });
      });
      throw noRoom('BLW_FVE_FRAGMENTED', `NTFS gave fragmented runs to ${bad.join(', ')}: no contiguous free space for them`);
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Each wanted file's record, checked, and whether its data is one run covering its size. */
async function readFiles(device: string, wanted: { name: string; bytes: number }[], records: Map<string, number>) {
  const file = await open(device, 'r');
  try {
    const boot = new Uint8Array(512);
    await file.read(boot, 0, 512, 0);
    const g: NtfsGeometry = parseNtfsBootSector(boot);
    const out: { name: string; record: number; offset: number; size: number; fragmented: boolean }[] = [];
    for (const w of wanted) {
      const record = records.get(w.name)!;
      const info = await readMftFile(file, 0, g, record);
      if (!info.inUse || !info.names.includes(w.name)) throw corrupt('BLW_FVE_RECORD', `MFT record ${record} is not ${w.name}`);
      const d = info.data;
      if (!d || d.resident || d.size !== w.bytes) throw corrupt('BLW_FVE_DATA', `${w.name}: unexpected $DATA (${JSON.stringify(d)})`);
      const single = !info.hasAttributeList && d.runs.length === 1 && d.runs[0][0] > 0 && d.runs[0][1] * g.clusterSize >= w.bytes;
      out.push({ name: w.name, record, offset: single ? d.runs[0][0] * g.clusterSize : -1, size: d.size, fragmented: !single });
    }
    return out;
  } finally {
    await file.close();
  }
}

/**
 * Runs `fn` with a path holding exactly the NTFS volume: the image itself when the volume starts
 * at 0, else a loop device (losetup --offset --sizelimit), else a temporary copy whose changed
 * chunks are written back.
 */
async function onVolume<T>(image: string, offset: number, size: number, via: 'auto' | 'loop' | 'copy', scratch: string,
  fn: (device: string, via: 'file' | 'loop' | 'copy') => Promise<T>): Promise<T> {
  if (offset === 0 && via === 'auto') return fn(image, 'file');
  if (via !== 'copy') {
    let loop: string | undefined;
    try {
      loop = (await run('losetup', ['--find', '--show', '--offset', String(offset), '--sizelimit', String(size), image])).stdout.trim();
    } catch (e) {
      if (via === 'loop') throw e;
    }
    if (loop) {
      try {
        return await fn(loop, 'loop');
      } finally {
        await run('losetup', ['-d', loop]);
      }
    }
  }
  const copy = join(dirname(image), `.${randomUUID()}.fve2-volume`);
  await run('dd', [`if=${image}`, `of=${copy}`, 'bs=1M', `skip=${offset}`, `count=${size}`, 'iflag=skip_bytes,count_bytes', 'conv=sparse', 'status=none']);
  await run('truncate', ['-s', String(size), copy]);
  try {
    const result = await fn(copy, 'copy');
    await writeBack(copy, image, offset, size);
    return result;
  } finally {
    await rm(copy, { force: true });
  }
}

/** Copies the chunks of `from` that differ into `to` at `offset`. */
async function writeBack(from: string, to: string, offset: number, size: number): Promise<void> {
  const CHUNK = 1 << 20;
  const a = Buffer.alloc(CHUNK);
  const b = Buffer.alloc(CHUNK);
  const src: FileHandle = await open(from, 'r');
  const dst: FileHandle = await open(to, 'r+');
  try {
    for (let pos = 0; pos < size; pos += CHUNK) {
      const n = Math.min(CHUNK, size - pos);
      const ra = (await src.read(a, 0, n, pos)).bytesRead;
      a.fill(0, ra, n);
      const rb = (await dst.read(b, 0, n, offset + pos)).bytesRead;
      b.fill(0, rb, n);
      if (!a.subarray(0, n).equals(b.subarray(0, n))) await dst.write(a, 0, n, offset + pos);
    }
  } finally {
    await src.close();
    await dst.close();
  }
}
