/**
 * A read-only view of a file with the VHDX log's writes laid over it in
 * memory: what the file would hold after replay, without writing it
 * (MS-VHDX §2.3.3 and its note 5: a read-only open replays in memory).
 * Bytes past the file's end (the log may extend it) read as zeros.
 * Memory is bounded by the log's size (data writes are its own 4 KiB sectors).
 */
import { checkRange, type ByteSource, type SourceInfo } from '@coldfix/io';
import type { LogWrite } from './log-replay.js';
import { VHDX_LAYER } from './vhdx-errors.js';

export class PatchedSource implements ByteSource {
  readonly blockSize: number;

  constructor(
    readonly base: ByteSource,
    /** Applied in order: a later write wins. */
    readonly writes: readonly LogWrite[],
    readonly size: number,
  ) {
    this.blockSize = base.blockSize;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, VHDX_LAYER);
    const inBase = Math.max(0, Math.min(length, this.base.size - offset));
    let out: Uint8Array;
    if (inBase === length) out = await this.base.read(offset, length);
    else {
      out = new Uint8Array(length);
      if (inBase > 0) out.set(await this.base.read(offset, inBase));
    }
    const end = offset + length;
    for (const w of this.writes) {
      const wEnd = w.fileOffset + (w.kind === 'data' ? w.data.length : w.length);
      if (wEnd <= offset || w.fileOffset >= end) continue;
      const from = Math.max(offset, w.fileOffset);
      const to = Math.min(end, wEnd);
      if (w.kind === 'zero') out.fill(0, from - offset, to - offset);
      else out.set(w.data.subarray(from - w.fileOffset, to - w.fileOffset), from - offset);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.base.close();
  }

  describe(): SourceInfo {
    return { kind: 'vhdx-log-replay', details: { writes: this.writes.length, size: this.size }, parent: this.base.describe() };
  }
}
