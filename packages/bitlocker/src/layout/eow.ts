/**
 * Encrypt-on-write ("used space only") structures, Windows 8+. A volume header
 * carrying the EOW GUID (92a84d3b-…) names two copies of the EOW information
 * (at 0xc8 and 0xd0, after the three metadata offsets); it lists one bitmap
 * per region of the volume; each bitmap holds records (the one with the
 * highest sequence number is current) whose bits say, per chunk of the
 * region, whether that chunk is encrypted (1) or still plaintext (0).
 *
 * References: dissect.fve `bde/eow.py` and `c_bde.py` (names: FVE_EOW_*;
 * derived from fvevol.sys); layout read on the eow_partial fixture (its chunk-boundary rule is not confirmed by an independent tool: docs/formats/bitlocker.md §6).
 * Not in libbde or dislocker (both refuse such volumes).
 *
 * FVE_EOW_INFORMATION                      FVE_EOW_BITMAP (0x3c bytes)
 *   0   8  "FVE-EOW\0"                      0   10 "FVE-EOWBM\0"
 *   8   2  header size (0x38)               10  2  header size
 *   10  2  size (header + 8 × bitmaps)      12  4  size (bytes)
 *   12  4  sector size                      16  4  unknown (region index)
 *   16  4  unknown                          20  8  region offset (bytes)
 *   20  4  chunk size (bytes)               28  8  region size (bytes)
 *   24  4  conversion log size              36  8  conversion log offset
 *   28  4  unknown                          44  2×4 record offsets (from bitmap)
 *   32  4  region count                     52  4  record size
 *   36  4  CRC-32 (with this field zero)    56  4  CRC-32
 *   40  2×8 EOW information offsets
 *   56  n×8 bitmap offsets
 *
 * FVE_EOW_BITMAP_RECORD: "FVE-EOWBR\0", header size u16 @10, size u32 @12,
 * bitmap size (bits) u32 @16, sequence number u64 @20, flags u32 @28,
 * CRC-32 u32 @32, bitmap from the header size on (bit i = chunk i, LSB first).
 */
import { crc32, CorruptError, decodeAscii, defineStruct, type ByteSource } from '@coldfix/io';

export const EowInformationHeader = defineStruct('FveEowInformation', 56, {
  signature: { offset: 0, type: 'ascii', size: 8 },
  headerSize: { offset: 8, type: 'u16le' },
  size: { offset: 10, type: 'u16le' },
  sectorSize: { offset: 12, type: 'u32le' },
  chunkSize: { offset: 20, type: 'u32le' },
  convLogSize: { offset: 24, type: 'u32le' },
  regionCount: { offset: 32, type: 'u32le' },
  crc32: { offset: 36, type: 'u32le' },
  eowOffset1: { offset: 40, type: 'u64le' },
  eowOffset2: { offset: 48, type: 'u64le' },
});

export const EowBitmapHeader = defineStruct('FveEowBitmap', 60, {
  headerSize: { offset: 10, type: 'u16le' },
  size: { offset: 12, type: 'u32le' },
  regionOffset: { offset: 20, type: 'u64le' },
  regionSize: { offset: 28, type: 'u64le' },
  convLogOffset: { offset: 36, type: 'u64le' },
  recordOffset1: { offset: 44, type: 'u32le' },
  recordOffset2: { offset: 48, type: 'u32le' },
  recordSize: { offset: 52, type: 'u32le' },
  crc32: { offset: 56, type: 'u32le' },
});

export const EowBitmapRecordHeader = defineStruct('FveEowBitmapRecord', 36, {
  headerSize: { offset: 10, type: 'u16le' },
  size: { offset: 12, type: 'u32le' },
  bitmapBits: { offset: 16, type: 'u32le' },
  sequenceNumber: { offset: 20, type: 'u64le' },
  flags: { offset: 28, type: 'u32le' },
  crc32: { offset: 32, type: 'u32le' },
});

export interface EowRegion {
  offset: number;
  size: number;
  /** Current bitmap: bit i set = chunk i encrypted. */
  bitmap: Uint8Array;
  bitmapBits: number;
}

export interface EowMap {
  chunkSize: number;
  regions: EowRegion[];
  /** Byte ranges holding EOW structures (read as zeros through the volume). */
  reserved: { start: number; end: number }[];
}

const MAX_REGIONS = 4096;
const MAX_BITMAP = 1 << 20;
/** Total bytes of bitmaps read per EOW copy (a 1 TB volume with 8 MiB chunks needs ~1 MiB). */
const MAX_TOTAL_BITMAP_BYTES = 64 << 20;

function crcWithFieldZeroed(bytes: Uint8Array, fieldOffset: number): number {
  const copy = new Uint8Array(bytes);
  copy.fill(0, fieldOffset, fieldOffset + 4);
  return crc32(copy);
}

function fail(why: string, offset: number): never {
  throw new CorruptError(`BitLocker EOW structure at 0x${offset.toString(16)}: ${why}`, { code: 'BITLOCKER_EOW_INVALID', layer: 'bitlocker', offset });
}

async function readEowAt(source: ByteSource, offset: number, sectorSize: number): Promise<EowMap> {
  if (offset % 512 || offset + 512 > source.size) fail('outside the image', offset);
  const head = await source.read(offset, 512);
  const info = EowInformationHeader.decode(head);
  if (info.signature !== 'FVE-EOW') fail('bad signature', offset);
  if (info.size < info.headerSize || info.size > 512 || info.headerSize < 56 || (info.size - info.headerSize) % 8) fail('bad size', offset);
  if (crcWithFieldZeroed(head.subarray(0, info.size), 36) !== info.crc32) fail('CRC-32 mismatch', offset);
  if (info.chunkSize === 0 || info.chunkSize % sectorSize) fail('bad chunk size', offset);
  const count = (info.size - info.headerSize) / 8;
  if (count > MAX_REGIONS) fail('too many regions', offset);
  const view = new DataView(head.buffer, head.byteOffset, head.length);
  const reserved = [{ start: offset, end: offset + Math.ceil(info.size / sectorSize) * sectorSize }];
  const regions: EowRegion[] = [];
  let totalBytes = 0;
  for (let i = 0; i < count; i++) {
    const bmOffset = Number(view.getBigUint64(info.headerSize + i * 8, true));
    if (!Number.isSafeInteger(bmOffset) || bmOffset % 512 || bmOffset + 60 > source.size) fail(`bitmap ${i} outside the image`, offset);
    const bmHead = await source.read(bmOffset, 60);
    if (decodeAscii(bmHead.subarray(0, 10)) !== 'FVE-EOWBM') fail(`bitmap ${i} bad signature`, bmOffset);
    const bm = EowBitmapHeader.decode(bmHead);
    if (bm.size < 60 || bm.size > MAX_BITMAP * 2 || bmOffset + bm.size > source.size) fail(`bitmap ${i} bad size`, bmOffset);
    totalBytes += bm.size;
    if (totalBytes > MAX_TOTAL_BITMAP_BYTES) fail('EOW bitmaps larger than 64 MiB in total', bmOffset);
    const bmBytes = await source.read(bmOffset, bm.size);
    let best: EowRegion | undefined;
    let bestSeq = -1n;
    for (const rel of [bm.recordOffset1, bm.recordOffset2]) {
      if (rel < 60 || rel + 36 > bm.size) continue;
      const rec = EowBitmapRecordHeader.decode(bmBytes, rel);
      if (decodeAscii(bmBytes.subarray(rel, rel + 10)) !== 'FVE-EOWBR') continue;
      if (rec.size < rec.headerSize || rel + rec.size > bm.size || Math.ceil(rec.bitmapBits / 8) > rec.size - rec.headerSize) continue;
      if (crcWithFieldZeroed(bmBytes.subarray(rel, rel + rec.size), 32) !== rec.crc32) continue;
      if (rec.sequenceNumber > bestSeq) {
        bestSeq = rec.sequenceNumber;
        best = {
          offset: Number(bm.regionOffset),
          size: Number(bm.regionSize),
          bitmap: new Uint8Array(bmBytes.subarray(rel + rec.headerSize, rel + rec.size)),
          bitmapBits: rec.bitmapBits,
        };
      }
    }
    if (!best) fail(`bitmap ${i} has no valid record`, bmOffset);
    regions.push(best);
    reserved.push({ start: bmOffset, end: bmOffset + Math.ceil(bm.size / sectorSize) * sectorSize });
    const log = Number(bm.convLogOffset);
    if (log > 0 && Number.isSafeInteger(log)) reserved.push({ start: log, end: log + info.convLogSize });
  }
  regions.sort((a, b) => a.offset - b.offset);
  return { chunkSize: info.chunkSize, regions, reserved };
}

/** Reads the EOW map from the first valid copy. Throws CorruptError BITLOCKER_EOW_INVALID when none is. */
export async function readEowMap(source: ByteSource, offsets: number[], sectorSize: number): Promise<EowMap> {
  let last: unknown;
  for (const offset of offsets) {
    try {
      const map = await readEowAt(source, offset, sectorSize);
      for (const other of offsets) if (other !== offset) map.reserved.push({ start: other, end: other + sectorSize });
      return map;
    } catch (error) {
      last = error;
    }
  }
  throw last ?? fail('no EOW information offsets', 0);
}

/**
 * Is the byte at `offset` encrypted according to the map, and up to where does
 * that answer hold? Offsets outside every region count as encrypted.
 */
export function eowStateAt(map: EowMap, offset: number): { encrypted: boolean; end: number } {
  for (const r of map.regions) {
    if (offset < r.offset) return { encrypted: true, end: r.offset };
    if (offset >= r.offset + r.size) continue;
    const regionEnd = r.offset + r.size;
    const chunk = Math.floor((offset - r.offset) / map.chunkSize);
    // Chunks past the bitmap's bits count as not encrypted, through the end of the region.
    if (chunk >= r.bitmapBits) return { encrypted: false, end: regionEnd };
    const bit = (i: number) => ((r.bitmap[i >>> 3] >>> (i & 7)) & 1) === 1;
    const state = bit(chunk);
    // Scan for the next chunk in the other state (whole bytes at a time where possible);
    // bounded by the bitmap length, never by the (disk-given) region size.
    const same = state ? 0xff : 0x00;
    let next = chunk + 1;
    while (next < r.bitmapBits) {
      if ((next & 7) === 0 && next + 8 <= r.bitmapBits && r.bitmap[next >>> 3] === same) { next += 8; continue; }
      if (bit(next) !== state) break;
      next++;
    }
    const end = next >= r.bitmapBits && !state ? regionEnd : r.offset + next * map.chunkSize;
    return { encrypted: state, end: Math.min(regionEnd, end) };
  }
  return { encrypted: true, end: Number.MAX_SAFE_INTEGER };
}
