/**
 * `coldfix export IMAGE OUT [--partition N]`: the virtual disk (a differencing chain flattened), or one
 * partition (a BitLocker volume decrypted with the keys given), written as a raw file. Sparse: pieces
 * that read as zeros are not written (the file is sized with ftruncate), as `qemu-img convert -O raw`
 * and `dislocker-file` leave them. What an analyst hands to other tools.
 */
import type { Command } from 'commander';
import { open } from 'node:fs/promises';
import { isZero, NotFoundError, ioErrorFrom, type ByteSource } from '@coldfix/io';
import { openImage, type OpenedImage } from '@coldfix/volumes';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { addImageOptions, imageOptionsFrom, type ImageCliOptions } from '../image-options.js';

interface ExportOptions extends ImageCliOptions {
  partition?: string;
  force?: boolean;
  json?: boolean;
}

const PIECE = 1 << 20;

export function registerExportCommand(program: Command, setExit: SetExit): void {
  const command = program
    .command('export')
    .description('write the virtual disk (chain flattened) or one partition (BitLocker decrypted) to a raw file, sparse where it reads zeros')
    .argument('<image>', 'disk image file or block device')
    .argument('<out>', 'raw file to write (not overwritten unless --force)')
    .option('--partition <n>', 'only this partition (decrypted when BitLocker and a key is given)')
    .option('--force', 'overwrite OUT when it exists')
    .option('--json', 'print a JSON summary');
  addImageOptions(command);
  command.action(async (image: string, out: string, options: ExportOptions) => {
    let partition: number | undefined;
    if (options.partition !== undefined) {
      partition = Number(options.partition);
      if (!/^\d+$/.test(options.partition)) throw new UsageError(`--partition must be a partition number, not ${options.partition}`);
    }
    const opened = await openImage(image, { ...(await imageOptionsFrom(options)), writable: false });
    try {
      const source = await exportSource(opened, partition);
      const written = await writeSparse(source, out, options.force === true);
      const summary = { image, out, partition: partition ?? null, size: source.size, bytesWritten: written };
      if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else process.stdout.write(`coldfix export: ${out}: ${source.size} bytes (${written} written, the rest sparse)\n`);
      setExit(ExitCode.ok);
    } finally {
      await opened.close();
    }
  });
}

/** The virtual disk, or partition `n`'s bytes (plaintext for an unlocked BitLocker volume). */
async function exportSource(opened: OpenedImage, partition: number | undefined): Promise<ByteSource> {
  if (partition === undefined) return opened.disk;
  const entry = opened.volumes.find((v) => v.partition === partition);
  if (!entry) {
    throw new NotFoundError(`${opened.path}: no partition ${partition} (partitions: ${opened.volumes.map((v) => v.partition).join(', ') || 'none'})`, {
      code: 'VOLUME_PARTITION_NOT_FOUND',
      layer: 'volumes',
    });
  }
  // A locked BitLocker volume: the same error (protector GUIDs, wrong key or none) as every other command.
  if (entry.bitlocker && !entry.bitlocker.unlocked) await opened.ntfs(partition);
  if (!entry.device) {
    throw new NotFoundError(`${opened.path}: partition ${partition} lies outside the disk; nothing to export`, { code: 'VOLUME_PARTITION_UNREADABLE', layer: 'volumes' });
  }
  return entry.device;
}

/** Copies `source` to `path`, skipping zero pieces; returns the bytes written. Progress on a terminal. */
async function writeSparse(source: ByteSource, path: string, force: boolean): Promise<number> {
  const file = await open(path, force ? 'w' : 'wx').catch((error: unknown) => {
    throw ioErrorFrom(error, path, 'create');
  });
  const tty = process.stderr.isTTY === true;
  let shown = 0;
  let written = 0;
  try {
    for (let offset = 0; offset < source.size; offset += PIECE) {
      const bytes = await source.read(offset, Math.min(PIECE, source.size - offset));
      if (!isZero(bytes)) {
        await file.write(bytes, 0, bytes.length, offset);
        written += bytes.length;
      }
      if (tty && Date.now() - shown > 200) {
        shown = Date.now();
        process.stderr.write(`\rexport: ${Math.floor(((offset + bytes.length) / source.size) * 100)}% of ${source.size} bytes`);
      }
    }
    await file.truncate(source.size);
    await file.sync();
  } finally {
    await file.close();
    if (tty) process.stderr.write('\r\x1b[K');
  }
  return written;
}
