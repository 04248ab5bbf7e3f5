/**
 * Image identity recorded in the journal header, so that a journal is never
 * applied to another file: the image's size, kind, device/inode (regular files)
 * and SHA-256 of its first and last 4 KiB as they were before any change.
 *
 * At rollback time the image has been changed, so the original head and tail
 * are reconstructed: current bytes overlaid with the journal's before-images
 * (which hold exactly the original bytes of every page ever changed or cut off).
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { ByteSource } from '../byte-source.js';
import { PreconditionError, ioErrorFrom } from '../errors.js';
import { IDENTITY_SPAN, ImageKind, RECORD_HEADER_SIZE, RecordType, type JournalHeader } from './journal-format.js';
import { readAt, type JournalScan } from './journal-reader.js';

export interface ImageIdentity {
  imageKind: number;
  device: bigint;
  inode: bigint;
  headSha256: Uint8Array;
  tailSha256: Uint8Array;
}

/** [start, end) of the head and tail spans hashed for an image of `size` bytes. */
export function identitySpans(size: number): [number, number][] {
  return [
    [0, Math.min(IDENTITY_SPAN, size)],
    [Math.max(0, size - IDENTITY_SPAN), size],
  ];
}

const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());

/** Identity of an unchanged image (taken just before the journal is created). */
export async function takeIdentity(source: ByteSource, imagePath: string, isBlockDevice: boolean): Promise<ImageIdentity> {
  const [head, tail] = identitySpans(source.size);
  const info = await statOrThrow(imagePath);
  return {
    imageKind: isBlockDevice ? ImageKind.blockDevice : ImageKind.file,
    // Device nodes are renumbered across boots; for them only the content identity counts.
    device: isBlockDevice ? 0n : info.dev,
    inode: isBlockDevice ? 0n : info.ino,
    headSha256: sha256(await source.read(head[0], head[1] - head[0])),
    tailSha256: sha256(await source.read(tail[0], tail[1] - tail[0])),
  };
}

async function statOrThrow(path: string) {
  try {
    return await stat(path, { bigint: true });
  } catch (error) {
    throw ioErrorFrom(error, path, 'stat');
  }
}

export interface IdentityCheckOptions {
  /**
   * Accept a regular file whose device/inode differ from the journal's (the
   * image and its journal were copied or moved together). Content identity is
   * still checked.
   */
  allowMoved?: boolean;
}

/**
 * Throws PreconditionError (code JOURNAL_WRONG_IMAGE) unless `source` is the
 * image the journal was made for.
 */
export async function checkIdentity(
  source: ByteSource,
  imagePath: string,
  isBlockDevice: boolean,
  scan: JournalScan & { header: JournalHeader },
  journal: FileHandle,
  options: IdentityCheckOptions = {},
): Promise<void> {
  const header = scan.header;
  const refuse = (why: string) =>
    new PreconditionError(`journal ${scan.journalPath} was made for ${header.path}, and ${imagePath} is not that image: ${why}. Nothing was changed`, {
      code: 'JOURNAL_WRONG_IMAGE',
      layer: 'journal',
      details: { image: imagePath, journal: scan.journalPath, journalImage: header.path },
    });
  const kind = isBlockDevice ? ImageKind.blockDevice : ImageKind.file;
  if (kind !== header.imageKind) throw refuse(isBlockDevice ? 'it is a block device, the journal is for a file' : 'it is a file, the journal is for a block device');
  if (isBlockDevice && source.size !== header.originalSize) throw refuse(`its size is ${source.size} bytes, the journal's ${header.originalSize}`);
  if (!isBlockDevice && !options.allowMoved) {
    const info = await statOrThrow(imagePath);
    if (info.dev !== header.device || info.ino !== header.inode) {
      throw refuse(`its device/inode ${info.dev}/${info.ino} differ from the journal's ${header.device}/${header.inode} (if the image and journal were copied together, allow a moved image)`);
    }
  }
  const [head, tail] = identitySpans(header.originalSize);
  const headBytes = await reconstructOriginal(source, scan, journal, head[0], head[1]);
  const tailBytes = await reconstructOriginal(source, scan, journal, tail[0], tail[1]);
  if (!headBytes || !tailBytes) throw refuse('it is shorter than the journal records and the journal does not hold the missing bytes');
  if (!equal(sha256(headBytes), header.headSha256)) throw refuse(`the SHA-256 of its original first ${head[1]} bytes does not match`);
  if (!equal(sha256(tailBytes), header.tailSha256)) throw refuse(`the SHA-256 of its original last ${tail[1] - tail[0]} bytes does not match`);
}

/**
 * The original bytes of [start, end): current contents overlaid with every
 * before-image intersecting the span, oldest applied last so it wins.
 * Returns null if some byte is neither in the image nor in the journal.
 */
async function reconstructOriginal(source: ByteSource, scan: JournalScan, journal: FileHandle, start: number, end: number): Promise<Uint8Array | null> {
  const out = new Uint8Array(end - start);
  const covered = new Uint8Array(end - start);
  const fromImage = Math.min(end, source.size);
  if (fromImage > start) {
    out.set(await source.read(start, fromImage - start));
    covered.fill(1, 0, fromImage - start);
  }
  for (let i = scan.records.length - 1; i >= 0; i--) {
    const record = scan.records[i];
    if (record.type !== RecordType.beforeImage) continue;
    const from = Math.max(start, record.imageOffset);
    const to = Math.min(end, record.imageOffset + record.dataLength);
    if (from >= to) continue;
    const data = await readAt(journal, record.journalOffset + RECORD_HEADER_SIZE + (from - record.imageOffset), to - from, scan.journalPath);
    out.set(data, from - start);
    covered.fill(1, from - start, to - start);
  }
  return covered.every((c) => c === 1) ? out : null;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
