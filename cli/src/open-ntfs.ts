/**
 * The one place the forensic commands open an NTFS volume: through
 * `@coldfix/volumes` (container → partitions → BitLocker → NTFS), read-only.
 */
import type { Command } from 'commander';
import { openImage } from '@coldfix/volumes';
import type { NtfsVolume } from '@coldfix/ntfs';
import { addImageOptions, imageOptionsFrom, type ImageCliOptions } from './image-options.js';
import { UsageError } from './errors.js';

export interface NtfsCliOptions extends ImageCliOptions {
  partition?: string;
}

export function addNtfsOptions(command: Command): Command {
  addImageOptions(command);
  return command.option('--partition <n>', 'partition number holding the NTFS volume (default: the only NTFS volume)');
}

export interface OpenedNtfs {
  volume: NtfsVolume;
  close(): Promise<void>;
}

export async function openNtfs(image: string, options: NtfsCliOptions): Promise<OpenedNtfs> {
  let partition: number | undefined;
  if (options.partition !== undefined) {
    partition = Number(options.partition);
    if (!Number.isInteger(partition) || partition < 0) throw new UsageError(`--partition must be a partition number, not ${options.partition}`);
  }
  const opened = await openImage(image, { ...(await imageOptionsFrom(options)), writable: false });
  try {
    const volume = await opened.ntfs(partition);
    return { volume, close: () => opened.close() };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/** Buffered stdout writer honouring back-pressure; stops quietly on EPIPE (`| head`). */
export class StdoutBuffer {
  private parts: string[] = [];
  private size = 0;
  closed = false;
  constructor() {
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') this.closed = true;
    });
  }
  async write(text: string): Promise<void> {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= 1 << 16) await this.flush();
  }
  async flush(): Promise<void> {
    if (!this.parts.length || this.closed) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!process.stdout.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          process.stdout.off('drain', done);
          process.stdout.off('error', done);
          resolve();
        };
        process.stdout.on('drain', done);
        process.stdout.on('error', done);
      });
    }
  }
}

export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value instanceof Uint8Array ? undefined : value;
}
