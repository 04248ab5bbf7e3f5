/**
 * Decompresses one qcow2 compressed cluster into exactly `clusterSize` bytes.
 * The stored bytes are rounded up to 512-byte sectors, so trailing bytes after
 * the stream are expected and ignored, as qemu does.
 *
 * - zlib mode (compression_type 0): a raw deflate stream (no zlib header), as
 *   qemu's qcow2_zlib_decompress (windowBits -12) reads it. Output is bounded
 *   by `maxOutputLength`; it must fill the cluster.
 * - zstd mode (compression_type 1): one zstd frame. We find the frame's end by
 *   walking its block headers (RFC 8878 §3.1.1) and bound what the decoder
 *   will allocate before calling fzstd: its output buffer is the frame content
 *   size (which must equal the cluster size) or else the window size (capped).
 *   (Handing fzstd our own output buffer avoids that check but decodes about
 *   25x slower, measured on dissect's basic-zstd.qcow2.)
 *
 * References: qemu docs/interop/qcow2.txt ("Compressed Clusters Descriptor",
 * "compression type"); RFC 1951; RFC 8878.
 */
import { constants, inflateRawSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import type { CompressionTypeName } from '../layout/header.js';
import { hex, qcow2Corrupt } from '../qcow2-errors.js';

export function decompressCluster(data: Uint8Array, clusterSize: number, type: CompressionTypeName, hostOffset: number): Uint8Array {
  return type === 'zstd' ? decompressZstd(data, clusterSize, hostOffset) : decompressZlib(data, clusterSize, hostOffset);
}

function decompressZlib(data: Uint8Array, clusterSize: number, hostOffset: number): Uint8Array {
  let out: Uint8Array;
  try {
    // Z_SYNC_FLUSH: the sector-rounded input may end inside the stream's last bytes (qemu accepts Z_BUF_ERROR).
    out = inflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: clusterSize });
  } catch (error) {
    throw qcow2Corrupt('QCOW2_BAD_COMPRESSED_CLUSTER', `qcow2 compressed cluster at ${hex(hostOffset)}: deflate stream invalid or larger than the ${clusterSize}-byte cluster (${(error as Error).message})`, hostOffset);
  }
  if (out.length !== clusterSize) {
    throw qcow2Corrupt('QCOW2_BAD_COMPRESSED_CLUSTER', `qcow2 compressed cluster at ${hex(hostOffset)}: inflates to ${out.length} bytes, expected ${clusterSize}`, hostOffset);
  }
  return out;
}

/** Largest zstd window accepted for a frame without a content size (qemu's frames always carry one). */
export const MAX_ZSTD_WINDOW = 8 << 20;

function decompressZstd(data: Uint8Array, clusterSize: number, hostOffset: number): Uint8Array {
  const frame = parseZstdFrame(data, hostOffset);
  const bad = (why: string) => qcow2Corrupt('QCOW2_BAD_COMPRESSED_CLUSTER', `qcow2 compressed cluster at ${hex(hostOffset)}: zstd frame ${why}`, hostOffset);
  if (frame.contentSize !== undefined && frame.contentSize !== clusterSize) throw bad(`content size ${frame.contentSize}, expected ${clusterSize}`);
  if (frame.contentSize === undefined && frame.windowSize > MAX_ZSTD_WINDOW) throw bad(`window ${frame.windowSize} above our cap of ${MAX_ZSTD_WINDOW}`);
  let out: Uint8Array;
  try {
    out = zstdDecompress(data.subarray(0, frame.length));
  } catch (error) {
    throw bad(`invalid (${(error as Error).message})`);
  }
  if (out.length !== clusterSize) throw bad(`decodes to ${out.length} bytes, expected ${clusterSize}`);
  return out;
}

const ZSTD_MAGIC = 0xfd2fb528;

export interface ZstdFrame {
  /** Bytes of the frame (header, blocks, optional checksum). */
  length: number;
  /** Frame content size when the header holds one. */
  contentSize?: number;
  windowSize: number;
}

/** Walks the zstd frame at the start of `data` without decoding it. Throws CorruptError. */
export function parseZstdFrame(data: Uint8Array, hostOffset: number): ZstdFrame {
  const bad = (why: string) => qcow2Corrupt('QCOW2_BAD_COMPRESSED_CLUSTER', `qcow2 compressed cluster at ${hex(hostOffset)}: zstd frame ${why}`, hostOffset);
  if (data.length < 6) throw bad('truncated');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint32(0, true) !== ZSTD_MAGIC) throw bad(`magic ${hex(view.getUint32(0, true))}`);
  const descriptor = data[4];
  const singleSegment = (descriptor >> 5) & 1;
  const hasChecksum = (descriptor >> 2) & 1;
  const dictIdFlag = descriptor & 3;
  const fcsFlag = descriptor >> 6;
  if (descriptor & 8) throw bad('reserved descriptor bit set');
  if (dictIdFlag) throw bad('needs a dictionary');
  const fcsBytes = [singleSegment, 2, 4, 8][fcsFlag];
  const fcsAt = 5 + (singleSegment ? 0 : 1);
  let at = fcsAt + fcsBytes;
  if (at > data.length) throw bad('header truncated');
  let contentSize: number | undefined;
  if (fcsBytes === 1) contentSize = data[fcsAt];
  else if (fcsBytes === 2) contentSize = view.getUint16(fcsAt, true) + 256;
  else if (fcsBytes === 4) contentSize = view.getUint32(fcsAt, true);
  else if (fcsBytes === 8) contentSize = Number(view.getBigUint64(fcsAt, true));
  let windowSize = contentSize ?? 0;
  if (!singleSegment) {
    const exponent = data[5] >> 3;
    const base = 2 ** (10 + exponent);
    windowSize = base + (base / 8) * (data[5] & 7);
  }
  // Each block header takes 3 bytes, so the walk ends within data.length / 3 steps.
  for (;;) {
    if (at + 3 > data.length) throw bad('block header past the stored bytes');
    const blockHeader = data[at] | (data[at + 1] << 8) | (data[at + 2] << 16);
    const last = blockHeader & 1;
    const type = (blockHeader >> 1) & 3;
    const size = blockHeader >>> 3;
    if (type === 3) throw bad('reserved block type');
    at += 3 + (type === 1 ? 1 : size);
    if (at > data.length) throw bad('block past the stored bytes');
    if (last) break;
  }
  at += hasChecksum ? 4 : 0;
  if (at > data.length) throw bad('checksum past the stored bytes');
  return { length: at, contentSize, windowSize };
}
