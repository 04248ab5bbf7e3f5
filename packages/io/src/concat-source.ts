import { checkRange, type ByteSource, type SourceInfo } from './byte-source.js';

/** Several sources end to end (split images, VMDK extents). Read-only. */
export class ConcatSource implements ByteSource {
  readonly size: number;
  readonly blockSize: number;
  private readonly starts: number[] = [];
  constructor(private readonly parts: ByteSource[]) {
    let offset = 0;
    for (const part of parts) {
      this.starts.push(offset);
      offset += part.size;
    }
    this.size = offset;
    this.blockSize = parts[0]?.blockSize ?? 512;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, 'concat');
    const out = new Uint8Array(length);
    let done = 0;
    // Binary search for the first part holding `offset`.
    let lo = 0;
    let hi = this.parts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    for (let index = lo; done < length; index++) {
      const part = this.parts[index];
      const inPart = offset + done - this.starts[index];
      const take = Math.min(length - done, part.size - inPart);
      if (take > 0) out.set(await part.read(inPart, take), done);
      done += Math.max(take, 0);
    }
    return out;
  }
  async close(): Promise<void> {
    await Promise.all(this.parts.map((part) => part.close()));
  }
  describe(): SourceInfo {
    return { kind: 'concat', details: { parts: this.parts.length }, parent: this.parts[0]?.describe() };
  }
}
