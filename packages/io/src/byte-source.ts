/**
 * The one interface every layer shares: a positional, random-access byte device.
 *
 *   FileSource ─▶ disk image ─▶ partition (RangeSource) ─▶ BitLocker ─▶ NTFS
 *
 * Contract (checked by the contract suite in test/contract.test.ts):
 * - `read(offset, length)` returns exactly `length` bytes or throws; sparse or
 *   unallocated ranges read as zeros; reading past `size` throws OutOfRangeError.
 * - Offsets and sizes are bytes, safe-integer numbers.
 * - Decoding above this layer is synchronous over the returned Uint8Array.
 */
import { OutOfRangeError } from './errors.js';

export interface SourceInfo {
  /** e.g. `file`, `memory`, `range`, `vhd`, `bitlocker`. */
  kind: string;
  /** Path, GUID or other identity, for reports. */
  identity?: string;
  /** Extra facts for reports (format variant, offsets, …). JSON-safe. */
  details?: Record<string, unknown>;
  /** The source this one is built on, if any. */
  parent?: SourceInfo;
}

export interface ByteSource {
  /** Size in bytes. */
  readonly size: number;
  /** This layer's natural alignment in bytes (sector, cluster, block). */
  readonly blockSize: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: reads `target.length` bytes at `offset` into `target`, same contract
   * as `read`. Offered by sources that can fill a caller's buffer without an
   * extra allocation and copy (a file: the kernel copies straight into it), so a
   * layer above (BitLocker decrypting in place) can avoid both.
   */
  readInto?(offset: number, target: Uint8Array): Promise<void>;
  /**
   * Optional: `readInto` on the calling thread (a blocking pread), same contract, errors thrown.
   * Offered only by regular files, for bulk reads made once and in order (a listing's $MFT scan
   * and INDX preloads), where the thread pool's hand-off per read cost more than it overlapped.
   * Block devices do not offer it: a slow device would stall the event loop.
   */
  readIntoSync?(offset: number, target: Uint8Array): void;
  close(): Promise<void>;
  describe(): SourceInfo;
}

/** Fills `target` from `source` at `offset`: with `readInto` when the source has it, else `read` and a copy. */
export async function readInto(source: ByteSource, offset: number, target: Uint8Array): Promise<void> {
  if (source.readInto) await source.readInto(offset, target);
  else target.set(await source.read(offset, target.length));
}

export interface WritableByteSource extends ByteSource {
  readonly writable: true;
  write(offset: number, data: Uint8Array): Promise<void>;
  flush(): Promise<void>;
}

export function isWritable(source: ByteSource): source is WritableByteSource {
  return (source as Partial<WritableByteSource>).writable === true && typeof (source as WritableByteSource).write === 'function';
}

/** Throws OutOfRangeError unless [offset, offset+length) lies inside [0, size). */
export function checkRange(offset: number, length: number, size: number, layer: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new OutOfRangeError(`${layer}: range [${offset}, +${length}) is outside the source of ${size} bytes`, {
      code: 'OUT_OF_RANGE',
      layer,
      offset: Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined,
      details: { length, size },
    });
  }
}

/** Reads a source fully in `chunkSize` pieces, calling `onChunk` for each (streaming, bounded memory). */
export async function forEachChunk(
  source: ByteSource,
  onChunk: (chunk: Uint8Array, offset: number) => void | Promise<void>,
  chunkSize = 4 << 20,
  start = 0,
  end = source.size,
): Promise<void> {
  for (let offset = start; offset < end; offset += chunkSize) {
    const length = Math.min(chunkSize, end - offset);
    await onChunk(await source.read(offset, length), offset);
  }
}

/** A writable source whose length can change (an image file that container formats grow). */
export interface ResizableByteSource extends WritableByteSource {
  resize(newSize: number): Promise<void>;
}

/**
 * Opens the file at `path`: read-only unless `writable`. Injected into container
 * layers so that a repair can hand them journaled files instead of raw ones.
 */
export type FileOpener = {
  (path: string, writable: false): Promise<ByteSource>;
  (path: string, writable: true): Promise<ResizableByteSource>;
  (path: string, writable: boolean): Promise<ByteSource>;
};
