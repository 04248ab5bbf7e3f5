/**
 * Sources over a file or a block device (`/dev/sdX`).
 *
 * Opened read-only unless writing is asked for; writes to images go through the
 * journaled overlay (journal.ts), which is the only caller that opens `r+`.
 */
import { readSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { checkRange, type ByteSource, type ResizableByteSource, type SourceInfo } from './byte-source.js';
import { IoError, ioErrorFrom } from './errors.js';

export interface IoStats {
  bytesRead: number;
  reads: number;
  bytesWritten: number;
  writes: number;
}

export class FileSource implements ByteSource {
  readonly blockSize = 512;
  readonly stats: IoStats = { bytesRead: 0, reads: 0, bytesWritten: 0, writes: 0 };
  /** ByteSource.readIntoSync: regular files only (see there). */
  readonly readIntoSync?: (offset: number, out: Uint8Array) => void;
  protected constructor(
    protected readonly handle: FileHandle,
    readonly path: string,
    readonly size: number,
    readonly isBlockDevice: boolean,
    regularFile = !isBlockDevice,
  ) {
    if (regularFile) this.readIntoSync = (offset, out) => this.preadAll(offset, out);
  }

  /** Opens `path` read-only. Throws NotFoundError / IoError naming the path. */
  static async open(path: string): Promise<FileSource> {
    const { handle, size, isBlockDevice, regularFile } = await openHandle(path, 'r');
    return new FileSource(handle, path, size, isBlockDevice, regularFile);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, 'file');
    const out = new Uint8Array(length);
    await this.readInto(offset, out);
    return out;
  }

  async readInto(offset: number, out: Uint8Array): Promise<void> {
    const length = out.length;
    checkRange(offset, length, this.size, 'file');
    let done = 0;
    while (done < length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(out, done, length - done, offset + done));
      } catch (error) {
        throw ioErrorFrom(error, this.path, `read ${length} bytes at offset ${offset} of`);
      }
      if (bytesRead === 0) throw shortRead(this.path, offset + done, this.size);
      done += bytesRead;
    }
    this.stats.bytesRead += length;
    this.stats.reads++;
  }

  /** readInto with blocking preads on this thread. */
  private preadAll(offset: number, out: Uint8Array): void {
    const length = out.length;
    checkRange(offset, length, this.size, 'file');
    let done = 0;
    while (done < length) {
      let bytesRead: number;
      try {
        bytesRead = readSync(this.handle.fd, out, done, length - done, offset + done);
      } catch (error) {
        throw ioErrorFrom(error, this.path, `read ${length} bytes at offset ${offset} of`);
      }
      if (bytesRead === 0) throw shortRead(this.path, offset + done, this.size);
      done += bytesRead;
    }
    this.stats.bytesRead += length;
    this.stats.reads++;
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }

  describe(): SourceInfo {
    return { kind: this.isBlockDevice ? 'block-device' : 'file', identity: this.path, details: { size: this.size } };
  }
}

/** A file opened read-write. Only the journal (and test generators) should open one. */
export class WritableFileSource extends FileSource implements ResizableByteSource {
  readonly writable = true as const;
  static async openWritable(path: string): Promise<WritableFileSource> {
    const { handle, size, isBlockDevice, regularFile } = await openHandle(path, 'r+');
    return new WritableFileSource(handle, path, size, isBlockDevice, regularFile);
  }
  async write(offset: number, data: Uint8Array): Promise<void> {
    checkRange(offset, data.length, this.size, 'file');
    let done = 0;
    try {
      while (done < data.length) {
        const { bytesWritten } = await this.handle.write(data, done, data.length - done, offset + done);
        done += bytesWritten;
      }
    } catch (error) {
      throw ioErrorFrom(error, this.path, `write ${data.length} bytes at offset ${offset} of`);
    }
    this.stats.bytesWritten += data.length;
    this.stats.writes++;
  }
  /** Grows a regular file (container formats that append blocks). */
  async resize(newSize: number): Promise<void> {
    if (this.isBlockDevice) throw new IoError(`${this.path}: a block device cannot be resized`, { code: 'IO_RESIZE_DEVICE', layer: 'io' });
    await this.handle.truncate(newSize);
    (this as { size: number }).size = newSize;
  }
  async flush(): Promise<void> {
    await this.handle.sync();
  }
}

async function openHandle(path: string, flags: 'r' | 'r+'): Promise<{ handle: FileHandle; size: number; isBlockDevice: boolean; regularFile: boolean }> {
  let handle: FileHandle;
  try {
    handle = await open(path, flags);
  } catch (error) {
    throw ioErrorFrom(error, path, flags === 'r' ? 'open' : 'open for writing');
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) {
      throw new IoError(`${path} is a directory, not an image`, { code: 'IO_IS_DIRECTORY', layer: 'io', details: { path } });
    }
    if (!stat.isBlockDevice()) return { handle, size: stat.size, isBlockDevice: false, regularFile: stat.isFile() };
    return { handle, size: await blockDeviceSize(stat.rdev, path), isBlockDevice: true, regularFile: false };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw ioErrorFrom(error, path, 'stat');
  }
}

/** The file ended before `at` though it had `expectedSize` bytes when opened. */
function shortRead(path: string, at: number, expectedSize: number): IoError {
  return new IoError(`${path}: file ended at ${at} while reading (it shrank after opening?)`, { code: 'IO_SHORT_READ', layer: 'io', offset: at, details: { path, expectedSize } });
}

/** stat() reports 0 bytes for block devices; sysfs knows the size in 512-byte units. */
async function blockDeviceSize(rdev: number, path: string): Promise<number> {
  const major = Math.floor(rdev / 256) & 0xfff;
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  try {
    const sectors = Number((await readFile(`/sys/dev/block/${major}:${minor}/size`, 'utf8')).trim());
    return sectors * 512;
  } catch (error) {
    throw ioErrorFrom(error, path, 'find the size of block device');
  }
}
