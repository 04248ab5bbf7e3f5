/**
 * Reads and validates the FVE metadata: the volume header, then each of the
 * three FVE metadata blocks; the first block that passes every check is used,
 * and damaged copies are only reported (anomalies) as long as one is good.
 *
 * References: libbde format doc §2-§5; dislocker `metadata.c` (the CRC-32 over
 * the block, and the fallback to the next copy); cryptsetup `bitlk.c`.
 *
 * Checks per block: signature, version 1|2, dataset header size 48, dataset
 * size bounds and copy equality, and for v2 the CRC-32 of the validation
 * structure that follows the block (at block + size×16: unknown u16, version
 * u16, CRC-32 of the block's bytes [0, size×16), then an AES-CCM SHA-256 copy).
 */
import { crc32, CorruptError, isColdfixError, viewOf, type ByteSource } from '@coldfix/io';
import { decodeEntries, type MetadataEntry } from './codec/entries.js';
import { FveBlockHeader, FVE_METADATA_REGION_SIZE } from './layout/fve-block-header.js';
import { FveMetadataHeader } from './layout/fve-metadata-header.js';
import { decodeVolumeHeader, type VolumeHeader } from './layout/volume-header.js';
import { readEowMap, type EowMap } from './layout/eow.js';

export type FveBlockHeaderValue = ReturnType<typeof FveBlockHeader.decode>;
export type FveMetadataHeaderValue = ReturnType<typeof FveMetadataHeader.decode>;

export interface FveBlock {
  /** Byte offset of the block in the volume. */
  offset: number;
  header: FveBlockHeaderValue;
  dataset: FveMetadataHeaderValue;
  entries: MetadataEntry[];
  /** True when the v2 CRC-32 matched (always true for v1, which has none). */
  crcValid: boolean;
}

export interface FveMetadata {
  volumeHeader: VolumeHeader;
  /** Usable blocks, best first (CRC-valid ones before CRC-damaged ones). */
  blocks: FveBlock[];
  /** Every metadata block offset known (volume header and block headers). */
  metadataOffsets: number[];
  anomalies: string[];
  /** Encrypt-on-write map (volumes with the EOW GUID), undefined otherwise. */
  eow?: EowMap;
  /** Why the EOW map the header announces could not be read. */
  eowError?: unknown;
}

const MAX_DATASET = FVE_METADATA_REGION_SIZE - 64;

/** Decodes one metadata block from `bytes` (starting at the block). Throws CorruptError. */
export function decodeFveBlock(bytes: Uint8Array, offset: number): FveBlock {
  const fail = (why: string, code: string): never => {
    throw new CorruptError(`FVE metadata block at 0x${offset.toString(16)}: ${why}`, { code, layer: 'bitlocker', offset });
  };
  if (bytes.length < 112) fail('truncated', 'BITLOCKER_BLOCK_TRUNCATED');
  const header = FveBlockHeader.decode(bytes);
  if (header.signature !== '-FVE-FS-') fail('no -FVE-FS- signature', 'BITLOCKER_BLOCK_SIGNATURE');
  if (header.version !== 1 && header.version !== 2) fail(`unsupported version ${header.version}`, 'BITLOCKER_BLOCK_VERSION');
  const dataset = FveMetadataHeader.decode(bytes, 64);
  if (dataset.headerSize !== 48) fail(`dataset header size ${dataset.headerSize}, expected 48`, 'BITLOCKER_DATASET_HEADER');
  if (dataset.metadataSize < 48 || dataset.metadataSize > MAX_DATASET || 64 + dataset.metadataSize > bytes.length) {
    fail(`dataset size ${dataset.metadataSize} out of bounds`, 'BITLOCKER_DATASET_SIZE');
  }
  if (dataset.metadataSizeCopy !== dataset.metadataSize) fail('dataset size and its copy differ', 'BITLOCKER_DATASET_SIZE');
  let crcValid = true;
  if (header.version === 2) {
    const blockSize = header.sizeIn16ByteUnits * 16;
    if (blockSize < 64 + dataset.metadataSize || blockSize + 8 > bytes.length) {
      crcValid = false;
    } else {
      const stored = viewOf(bytes).getUint32(blockSize + 4, true);
      crcValid = crc32(bytes.subarray(0, blockSize)) === stored;
    }
  }
  const entries = decodeEntries(bytes, 64 + 48, 64 + dataset.metadataSize);
  return { offset, header, dataset, entries, crcValid };
}

/**
 * Reads the volume header and all FVE metadata blocks.
 * Throws CorruptError: BITLOCKER_NOT_FVE (no signature), BITLOCKER_NO_METADATA
 * (no block usable; details list why each failed).
 */
export async function readFveMetadata(source: ByteSource): Promise<FveMetadata> {
  if (source.size < 512) {
    throw new CorruptError('source too small for a BitLocker volume header', { code: 'BITLOCKER_NOT_FVE', layer: 'bitlocker', details: { size: source.size } });
  }
  const volumeHeader = decodeVolumeHeader(await source.read(0, 512));
  const anomalies: string[] = [];
  const pending = [...volumeHeader.metadataOffsets];
  const seen = new Set<number>();
  const blocks: FveBlock[] = [];
  const failures: Record<string, string> = {};
  while (pending.length > 0 && seen.size < 8) {
    const offset = pending.shift()!;
    if (seen.has(offset)) continue;
    seen.add(offset);
    if (offset % 512 !== 0 || offset + 112 > source.size) {
      failures[`0x${offset.toString(16)}`] = offset % 512 ? 'misaligned' : 'outside the image';
      continue;
    }
    const bytes = await source.read(offset, Math.min(FVE_METADATA_REGION_SIZE, source.size - offset));
    try {
      const block = decodeFveBlock(bytes, offset);
      blocks.push(block);
      if (!block.crcValid) anomalies.push(`FVE metadata block at 0x${offset.toString(16)} fails its CRC-32`);
      for (const next of [block.header.metadataOffset1, block.header.metadataOffset2, block.header.metadataOffset3]) {
        if (next !== 0n && next <= BigInt(Number.MAX_SAFE_INTEGER)) pending.push(Number(next));
      }
    } catch (error) {
      if (!isColdfixError(error)) throw error;
      failures[`0x${offset.toString(16)}`] = (error as Error).message;
      anomalies.push(`FVE metadata block at 0x${offset.toString(16)} unusable: ${(error as Error).message}`);
    }
  }
  if (blocks.length === 0) {
    throw new CorruptError('no usable FVE metadata block', {
      code: 'BITLOCKER_NO_METADATA',
      layer: 'bitlocker',
      details: { offsets: [...seen].map((o) => `0x${o.toString(16)}`), failures },
    });
  }
  blocks.sort((a, b) => Number(b.crcValid) - Number(a.crcValid));
  const first = blocks[0];
  for (const other of blocks.slice(1)) {
    if (other.dataset.volumeIdentifier !== first.dataset.volumeIdentifier) anomalies.push(`FVE metadata block at 0x${other.offset.toString(16)} names another volume GUID`);
  }
  const metadataOffsets = [first.header.metadataOffset1, first.header.metadataOffset2, first.header.metadataOffset3]
    .filter((o) => o !== 0n && o <= BigInt(Number.MAX_SAFE_INTEGER))
    .map(Number);
  let eow: EowMap | undefined;
  let eowError: unknown;
  if (volumeHeader.eowOffsets.length) {
    try {
      eow = await readEowMap(source, volumeHeader.eowOffsets, volumeHeader.bytesPerSector);
    } catch (error) {
      if (!isColdfixError(error)) throw error;
      eowError = error;
      anomalies.push(`encrypt-on-write information unreadable: ${error.message}`);
    }
  }
  return { volumeHeader, blocks, metadataOffsets: metadataOffsets.length ? metadataOffsets : [...seen], anomalies, eow, eowError };
}
