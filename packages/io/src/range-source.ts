import { checkRange, isWritable, readInto, type ByteSource, type SourceInfo, type WritableByteSource } from './byte-source.js';
import { OutOfRangeError, UnsupportedError } from './errors.js';

/**
 * A window [start, start+size) onto a parent source: a partition onto a disk.
 * Writable when the parent is. Closing a range does not close its parent.
 */
export class RangeSource implements WritableByteSource {
  readonly writable = true as const;
  readonly blockSize: number;
  constructor(
    readonly parent: ByteSource,
    readonly start: number,
    readonly size: number,
    private readonly label = 'range',
  ) {
    if (start < 0 || size < 0 || start + size > parent.size) {
      throw new OutOfRangeError(`${label} [${start}, +${size}) does not fit in its parent of ${parent.size} bytes`, {
        code: 'RANGE_OUTSIDE_PARENT',
        layer: 'io',
        offset: start,
        details: { size, parentSize: parent.size },
      });
    }
    this.blockSize = parent.blockSize;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, this.label);
    return this.parent.read(this.start + offset, length);
  }
  readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(offset, target.length, this.size, this.label);
    return readInto(this.parent, this.start + offset, target);
  }
  async write(offset: number, data: Uint8Array): Promise<void> {
    checkRange(offset, data.length, this.size, this.label);
    if (!isWritable(this.parent)) {
      throw new UnsupportedError(`${this.label}: parent source is read-only`, { code: 'READ_ONLY', layer: 'io' });
    }
    await this.parent.write(this.start + offset, data);
  }
  async flush(): Promise<void> {
    if (isWritable(this.parent)) await this.parent.flush();
  }
  async close(): Promise<void> {}
  describe(): SourceInfo {
    return { kind: this.label, details: { start: this.start, size: this.size }, parent: this.parent.describe() };
  }
}
