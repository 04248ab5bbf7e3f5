/**
 * Quarantine: before a file is deleted, every stream of it, its raw MFT
 * record(s) as they are on disk, and a JSON manifest go into the quarantine
 * folder. Names from the image are untrusted: each becomes one sanitised path
 * component (safe-name.ts) and files are created exclusively (no overwrite, no
 * following a planted symlink).
 */
import { createHash } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { forEachChunk, ioErrorFrom } from '@coldfix/io';
import { AttributeType, fileNames, filetimeToIso, joinedAttributes, standardInformation, type NtfsVolume } from '@coldfix/ntfs';
import type { Match } from './evaluate.js';
import { resolveInside, safeComponent } from './safe-name.js';

export interface QuarantineEntry {
  folder: string;
  manifest: string;
  streams: { name: string; size: number; sha256: string; file: string }[];
}

export async function quarantineMatch(volume: NtfsVolume, partition: number, match: Match, root: string): Promise<QuarantineEntry> {
  const leaf = match.path.split('\\').pop() ?? 'file';
  const folder = resolveInside(root, `p${partition}-r${match.record}-s${match.sequence}-${safeComponent(leaf, 80)}`);
  await mkdir(folder, { recursive: true });
  const record = await volume.readRecord(match.record);

  const streams: QuarantineEntry['streams'] = [];
  for (const attribute of joinedAttributes(record, AttributeType.data)) {
    const name = attribute.name;
    const file = resolveInside(folder, name === '' ? 'data.bin' : `stream-${safeComponent(name, 80)}.bin`);
    const { size, sha256 } = await copyStream(volume, match.record, name, file);
    streams.push({ name, size, sha256, file: file.slice(folder.length + 1) });
  }

  const mftRecords: { record: number; file: string; offset: number }[] = [];
  for (const recordNumber of [match.record, ...record.extensionRecords]) {
    const source = recordNumber === match.record ? record : await volume.readRecord(recordNumber);
    const parts = await Promise.all(source.extents.map((extent) => volume.source.read(extent.offset, extent.length)));
    const file = resolveInside(folder, `mft-record-${recordNumber}.bin`);
    await writeExclusive(file, Buffer.concat(parts));
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
  await writeExclusive(manifestPath, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
  return { folder, manifest: manifestPath, streams };
}

async function copyStream(volume: NtfsVolume, recordNumber: number, streamName: string, path: string): Promise<{ size: number; sha256: string }> {
  const stream = await volume.openStream(recordNumber, streamName);
  const hash = createHash('sha256');
  const handle = await open(path, 'wx', 0o600).catch((error) => {
    throw ioErrorFrom(error, path, 'create');
  });
  try {
    await forEachChunk(stream, async (chunk, offset) => {
      hash.update(chunk);
      await handle.write(chunk, 0, chunk.length, offset);
    }, 1 << 20);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { size: stream.size, sha256: hash.digest('hex') };
}

async function writeExclusive(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx', 0o600).catch((error) => {
    throw ioErrorFrom(error, path, 'create');
  });
  try {
    await handle.write(bytes, 0, bytes.length, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
