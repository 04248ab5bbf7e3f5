/**
 * LZNT1 decompression (MS-XCA 2.5; libfsntfs "Compression"; ntfs-3g
 * compress.c). Data comes in chunks of at most 4096 output bytes, each with a
 * 16-bit header: bits 0-11 = stored size - 3, bit 15 = compressed. In a
 * compressed chunk each flag byte announces 8 tokens: literal bytes (bit 0)
 * or 16-bit back references whose offset/length split depends on the current
 * position inside the chunk.
 */
import { corrupt } from '../errors.js';

const CHUNK = 4096;

/**
 * Decompresses `input` into `output` (its length is the compression unit
 * size); bytes not produced stay zero. Returns bytes produced. Throws
 * CorruptError (NTFS_LZNT1_*) on a back reference before the chunk start.
 */
export function decompressLznt1(input: Uint8Array, output: Uint8Array): number {
  let inPos = 0;
  let outPos = 0;
  while (inPos + 2 <= input.length && outPos < output.length) {
    const header = input[inPos] | (input[inPos + 1] << 8);
    if (header === 0) break;
    const chunkSize = (header & 0x0fff) + 1;
    const chunkStart = inPos + 2;
    const chunkEnd = Math.min(chunkStart + chunkSize, input.length);
    const outChunkStart = outPos;
    const outChunkEnd = Math.min(outChunkStart + CHUNK, output.length);
    if ((header & 0x8000) === 0) {
      // Stored chunk: raw bytes (normally 4096).
      const take = Math.min(chunkEnd - chunkStart, outChunkEnd - outPos);
      output.set(input.subarray(chunkStart, chunkStart + take), outPos);
      outPos += take;
    } else {
      let p = chunkStart;
      while (p < chunkEnd && outPos < outChunkEnd) {
        const flags = input[p++];
        for (let bit = 0; bit < 8 && p < chunkEnd && outPos < outChunkEnd; bit++) {
          if ((flags & (1 << bit)) === 0) {
            output[outPos++] = input[p++];
            continue;
          }
          if (p + 2 > chunkEnd) throw corrupt('NTFS_LZNT1_TRUNCATED', 'back reference cut off at chunk end');
          const token = input[p] | (input[p + 1] << 8);
          p += 2;
          const position = outPos - outChunkStart;
          let lengthMask = 0x0fff;
          let offsetShift = 12;
          for (let i = position - 1; i >= 0x10; i >>= 1) {
            lengthMask >>= 1;
            offsetShift--;
          }
          const back = (token >> offsetShift) + 1;
          let length = (token & lengthMask) + 3;
          if (back > position) throw corrupt('NTFS_LZNT1_OFFSET', `back reference ${back} before chunk start (position ${position})`);
          length = Math.min(length, outChunkEnd - outPos);
          // Byte by byte: the copy may overlap its own output (runs).
          for (let i = 0; i < length; i++) {
            output[outPos] = output[outPos - back];
            outPos++;
          }
        }
      }
    }
    // A chunk always stands for 4096 output bytes, except the last one.
    if (outPos < outChunkStart + CHUNK && chunkEnd < input.length && (header & 0x8000) !== 0) {
      const next = chunkEnd + 1 < input.length ? input[chunkEnd] | (input[chunkEnd + 1] << 8) : 0;
      if (next !== 0) outPos = Math.min(outChunkStart + CHUNK, output.length);
    }
    inPos = chunkEnd;
  }
  return outPos;
}
