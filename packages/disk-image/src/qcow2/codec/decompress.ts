/**
 * Decompresses one qcow2 compressed cluster into exactly `clusterSize` bytes.
 * The stored bytes are rounded up to 512-byte sectors, so trailing bytes after
 * the stream are expected and ignored, as qemu does.
 *
 * - zlib mode (compression_type 0): a raw deflate stream (no zlib header), as
 *   qemu's qcow2_zlib_decompress (windowBits -12) reads it. Output is bounded
 *   by `maxOutputLength`; it must fill the cluster.
 * - zstd mode (compression_type 1): one zstd frame. We find the frame's end by
 *   walking its block headers (RFC 8878 §3.1.1), then decode it with fzstd into
 *   a cluster-sized buffer we allocate (so a frame header cannot make the
 *   decoder allocate its declared window).
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

function decompressZstd(data: Uint8Array, clusterSize: number, hostOffset: number): Uint8Array {
  const frameLength = zstdFrameLength(data, hostOffset);
  const out = new Uint8Array(clusterSize);
  try {
    zstdDecompress(data.subarray(0, frameLength), out);
  } catch (error) {
    throw qcow2Corrupt('QCOW2_BAD_COMPRESSED_CLUSTER', `qcow2 compressed cluster at ${hex(hostOffset)}: zstd frame invalid (${(error as Error).message})`, hostOffset);
  }
  return out;
}

const ZSTD_MAGIC = 0xfd2fb528;

/** Length of the zstd frame at the start of `data` (header, blocks, optional checksum). Throws CorruptError. */
export function zstdFrameLength(data: Uint8Array, hostOffset: number): number {
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
  let at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][dictIdFlag] + [singleSegment, 2, 4, 8][fcsFlag];
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
  return at;
}
