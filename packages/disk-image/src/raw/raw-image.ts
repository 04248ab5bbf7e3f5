/**
 * A raw image or block device: the virtual disk is the file itself.
 */
import { checkRange, isWritable, readInto, UnsupportedError, type ByteSource, type SourceInfo, type WritableByteSource } from '@coldfix/io';
import type { ChainEntry, DiskImage, ImageVariant, WritableDiskImage } from '../types.js';

export class RawImage implements WritableDiskImage {
  readonly format = 'raw' as const;
  /** Present (true) only when the file was opened writable. */
  declare readonly writable: true;
  readonly size: number;
  readonly blockSize: number;
  readonly chain: ChainEntry[];
  readonly anomalies: string[] = [];
  /** ByteSource.readIntoSync, when the file offers it (regular files). */
  readonly readIntoSync?: (offset: number, target: Uint8Array) => void;

  constructor(
    readonly path: string,
    readonly file: ByteSource,
    readonly variant: Extract<ImageVariant, 'raw' | 'block-device'>,
  ) {
    this.size = file.size;
    this.blockSize = file.blockSize;
    this.chain = [{ path, format: 'raw', variant, virtualSize: file.size }];
    if (isWritable(file)) Object.defineProperty(this, 'writable', { value: true, enumerable: true });
    const sync = file.readIntoSync?.bind(file);
    if (sync) {
      this.readIntoSync = (offset, target) => {
        checkRange(offset, target.length, this.size, 'raw');
        sync(offset, target);
      };
    }
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, 'raw');
    return this.file.read(offset, length);
  }

  /** Passes through to the file (a caller's buffer filled by the kernel, no copy). */
  readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(offset, target.length, this.size, 'raw');
    return readInto(this.file, offset, target);
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    checkRange(offset, data.length, this.size, 'raw');
    if (!isWritable(this.file)) throw new UnsupportedError(`${this.path}: opened read-only`, { code: 'READ_ONLY', layer: 'raw' });
    await (this.file as WritableByteSource).write(offset, data);
  }

  async flush(): Promise<void> {
    if (isWritable(this.file)) await this.file.flush();
  }

  close(): Promise<void> {
    return this.file.close();
  }

  describe(): SourceInfo {
    return {
      kind: this.variant === 'block-device' ? 'block-device' : 'raw',
      identity: this.path,
      details: { format: 'raw', variant: this.variant, virtualSize: this.size, chain: this.chain.map((c) => ({ ...c })) },
      parent: this.file.describe(),
    };
  }
}

/** True for a source that is (or wraps, e.g. a journaled file over) a block device. */
export function isBlockDevice(file: ByteSource): boolean {
  for (let info: SourceInfo | undefined = file.describe(), depth = 0; info && depth < 8; info = info.parent, depth++) {
    if (info.kind === 'block-device' || info.details?.isBlockDevice === true) return true;
  }
  return false;
}

export type { DiskImage };
