import { checkRange, type SourceInfo, type WritableByteSource } from './byte-source.js';

/** A source over an in-memory buffer; writable. Used in tests and as a model. */
export class MemorySource implements WritableByteSource {
  readonly writable = true as const;
  readonly blockSize: number;
  constructor(
    private readonly bytes: Uint8Array,
    options: { blockSize?: number; identity?: string } = {},
  ) {
    this.blockSize = options.blockSize ?? 512;
    this.identity = options.identity;
  }
  private readonly identity: string | undefined;
  get size(): number {
    return this.bytes.length;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, 'memory');
    return this.bytes.slice(offset, offset + length);
  }
  async write(offset: number, data: Uint8Array): Promise<void> {
    checkRange(offset, data.length, this.size, 'memory');
    this.bytes.set(data, offset);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  describe(): SourceInfo {
    return { kind: 'memory', ...(this.identity ? { identity: this.identity } : {}) };
  }
}
