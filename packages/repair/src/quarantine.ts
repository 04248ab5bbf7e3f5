/**
 * Quarantine: before a file is deleted, every stream of it, its raw MFT
 * record(s) as they are on disk, and a JSON manifest go into the quarantine
 * folder. Names from the image are untrusted: each becomes one sanitised path
 * component (safe-name.ts) and files are created exclusively (no overwrite, no
 * following a planted symlink).
 */
import { createHash } from 'node:crypto';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { forEachChunk, fsyncDirectory, ioErrorFrom, PreconditionError } from '@coldfix/io';
import { AttributeType, fileNames, filetimeToIso, joinedAttributes, standardInformation, type NtfsVolume } from '@coldfix/ntfs';
import type { Match } from './evaluate.js';
import { resolveInside, safeComponent } from './safe-name.js';

export interface QuarantineEntry {
  folder: string;
  manifest: string;
  streams: { name: string; size: number; sha256: string; file: string }[];
}

/**
 * Copies `match` into a new folder under `root` and makes it durable before returning: every file
 * fsynced (all at once, after all are written), the folder fsynced (its entries), and the root
 * fsynced (the folder's entry) unless `syncRoot` is false: a caller quarantining several files
 * syncs the root once after all of them (syncQuarantineRoot).
 */
export async function quarantineMatch(volume: NtfsVolume, partition: number, match: Match, root: string, options: { syncRoot?: boolean } = {}): Promise<QuarantineEntry> {
  const leaf = match.path.split('\\').pop() ?? 'file';
  const folder = await createFolder(root, `p${partition}-r${match.record}-s${match.sequence}-${safeComponent(leaf, 80)}`);
  const record = await volume.readRecord(match.record);
  const files: FileHandle[] = [];
  try {
    const entry = await copyMatch(volume, partition, match, folder, record, files);
    // Written first, synced together: the fsyncs overlap instead of following one another.
    await Promise.all([...files.map((f) => f.sync()), fsyncDirectory(folder)]);
    if (options.syncRoot !== false) await syncQuarantineRoot(root);
    return entry;
  } finally {
    await Promise.all(files.map((f) => f.close().catch(() => undefined)));
  }
}

/** fsyncs the quarantine root (the entries of the folders created in it) and its parent (the root's own entry). */
export async function syncQuarantineRoot(root: string): Promise<void> {
  await Promise.all([fsyncDirectory(root), fsyncDirectory(dirname(resolve(root)))]);
}

async function copyMatch(volume: NtfsVolume, partition: number, match: Match, folder: string, record: Awaited<ReturnType<NtfsVolume['readRecord']>>, files: FileHandle[]): Promise<QuarantineEntry> {

  const streams: QuarantineEntry['streams'] = [];
  // Different stream names can sanitise to the same file name (`a:b`, `a?b`, `a*b` → `a_b`): number the later ones.
  const used = new Set<string>();
  for (const attribute of joinedAttributes(record, AttributeType.data)) {
    const name = attribute.name;
    const base = name === '' ? 'data' : `stream-${safeComponent(name, 80)}`;
    let fileName = `${base}.bin`;
    for (let n = 2; used.has(fileName.toLowerCase()); n++) fileName = `${base}~${n}.bin`;
    used.add(fileName.toLowerCase());
    const file = resolveInside(folder, fileName);
    const { size, sha256 } = await copyStream(volume, match.record, name, file, files);
    streams.push({ name, size, sha256, file: file.slice(folder.length + 1) });
  }

  const mftRecords: { record: number; file: string; offset: number }[] = [];
  for (const recordNumber of [match.record, ...record.extensionRecords]) {
    const source = recordNumber === match.record ? record : await volume.readRecord(recordNumber);
    const parts = await Promise.all(source.extents.map((extent) => volume.source.read(extent.offset, extent.length)));
    const file = resolveInside(folder, `mft-record-${recordNumber}.bin`);
    await writeExclusive(file, Buffer.concat(parts), files);
    mftRecords.push({ record: recordNumber, file: file.slice(folder.length + 1), offset: source.extents[0]?.offset ?? -1 });
  }

  const si = standardInformation(record);
  const manifest = {
    originalPath: match.path,
    partition,
    record: match.record,
    sequence: match.sequence,
    size: match.size,
    sha256: match.sha256,
    rule: match.rule,
    classification: match.classification,
    standardInformation: si && {
      created: filetimeToIso(si.created),
      modified: filetimeToIso(si.modified),
      mftModified: filetimeToIso(si.mftModified),
      accessed: filetimeToIso(si.accessed),
      fileAttributes: si.fileAttributes,
    },
    fileNames: fileNames(record).map((n) => ({
      name: n.name,
      namespace: n.namespace,
      parentRecord: n.parentRecordNumber,
      created: filetimeToIso(n.created),
      modified: filetimeToIso(n.modified),
      mftModified: filetimeToIso(n.mftModified),
      accessed: filetimeToIso(n.accessed),
    })),
    indexModified: match.indexModified,
    streams,
    mftRecords,
    quarantinedAt: new Date().toISOString(),
  };
  const manifestPath = resolveInside(folder, 'manifest.json');
  await writeExclusive(manifestPath, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), files);
  return { folder, manifest: manifestPath, streams };
}

/**
 * Creates a new folder for one quarantined file. An earlier attempt (e.g. a repair whose
 * verification failed and was rolled back) may have left a folder of the same name: its evidence
 * is kept and this attempt gets `-2`, `-3`, … instead of failing on the exclusive file creation.
 */
async function createFolder(root: string, name: string): Promise<string> {
  await mkdir(root, { recursive: true }).catch((error) => {
    throw ioErrorFrom(error, root, 'create');
  });
  for (let attempt = 1; attempt <= 1000; attempt++) {
    const folder = resolveInside(root, attempt === 1 ? name : `${name}-${attempt}`);
    try {
      await mkdir(folder);
      return folder;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw ioErrorFrom(error, folder, 'create');
    }
  }
  throw new PreconditionError(`${root} already holds 1000 quarantine folders named ${name}`, { code: 'QUARANTINE_FOLDER_EXISTS', layer: 'repair', details: { root } });
}

/** Writes the stream into a new file (not synced: the handle goes into `files`, synced by the caller). */
async function copyStream(volume: NtfsVolume, recordNumber: number, streamName: string, path: string, files: FileHandle[]): Promise<{ size: number; sha256: string }> {
  const stream = await volume.openStream(recordNumber, streamName);
  const hash = createHash('sha256');
  const handle = await createExclusive(path, files);
  await forEachChunk(stream, async (chunk, offset) => {
    hash.update(chunk);
    await handle.write(chunk, 0, chunk.length, offset);
  }, 1 << 20);
  return { size: stream.size, sha256: hash.digest('hex') };
}

/** Writes `bytes` into a new file (not synced; see copyStream). */
async function writeExclusive(path: string, bytes: Uint8Array, files: FileHandle[]): Promise<void> {
  const handle = await createExclusive(path, files);
  await handle.write(bytes, 0, bytes.length, 0);
}

async function createExclusive(path: string, files: FileHandle[]): Promise<FileHandle> {
  const handle = await open(path, 'wx', 0o600).catch((error) => {
    throw ioErrorFrom(error, path, 'create');
  });
  files.push(handle);
  return handle;
}
