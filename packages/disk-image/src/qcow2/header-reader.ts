/**
 * Reads and checks a qcow2 header, its extensions and the backing file name.
 * Every size and offset is bounded before use: the header, its extensions and
 * the backing name must lie in the first cluster (as qemu requires), the L1
 * table must cover the virtual size and stay under our cap.
 *
 * References: qemu docs/interop/qcow2.txt ("Header", "Header extensions",
 * "Feature name table"); libyal libqcow documentation.
 */
import { toSafeNumber, type ByteSource } from '@coldfix/io';
import {
  AutoclearFeature,
  CompatibleFeature,
  CompressionType,
  IncompatibleFeature,
  QCOW2_MAGIC,
  QCOW2_V2_HEADER_SIZE,
  QCOW2_V3_HEADER_SIZE,
  Qcow2HeaderStruct,
  type CompressionTypeName,
} from './layout/header.js';
import { ExtensionType, FeatureNameEntryStruct, Qcow2ExtensionHeaderStruct } from './layout/extension.js';
import { hex, QCOW2_LAYER, qcow2Corrupt, qcow2Limit, qcow2Unsupported } from './qcow2-errors.js';

export const MIN_CLUSTER_BITS = 9;
export const MAX_CLUSTER_BITS = 21;
/** qemu's QCOW_MAX_L1_SIZE: 32 MiB of L1 entries. */
export const MAX_L1_ENTRIES = (32 << 20) / 8;
/** Longest backing file name qemu accepts (1023 bytes). */
export const MAX_BACKING_NAME = 1023;

export interface Qcow2Header {
  version: 2 | 3;
  clusterBits: number;
  clusterSize: number;
  /** Virtual size in bytes. */
  size: number;
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  nbSnapshots: number;
  snapshotsOffset: number;
  incompatibleFeatures: bigint;
  compatibleFeatures: bigint;
  autoclearFeatures: bigint;
  refcountOrder: number;
  headerLength: number;
  compressionType: CompressionTypeName;
  extendedL2: boolean;
  externalDataFile: boolean;
  dirty: boolean;
  corrupt: boolean;
  lazyRefcounts: boolean;
  rawExternalData: boolean;
  backingFile?: string;
  backingFormat?: string;
  dataFile?: string;
  /** Feature names from the feature name table, "incompatible:4" → "extended L2". */
  featureNames: Map<string, string>;
  /** Extension types we do not know (kept, as qemu does, but reported). */
  unknownExtensions: number[];
}

const KNOWN_INCOMPATIBLE = (1n << 5n) - 1n;

/** Throws CorruptError, UnsupportedError (encryption, unknown incompatible features), LimitExceededError. */
export async function readQcow2Header(file: ByteSource): Promise<Qcow2Header> {
  if (file.size < QCOW2_V2_HEADER_SIZE) throw qcow2Corrupt('QCOW2_TRUNCATED', `qcow2 header: file of ${file.size} bytes is shorter than 72`, 0);
  const fixed = new Uint8Array(Qcow2HeaderStruct.size);
  fixed.set(await file.read(0, Math.min(file.size, Qcow2HeaderStruct.size)));
  const raw = Qcow2HeaderStruct.decode(fixed);
  if (raw.magic !== QCOW2_MAGIC) throw qcow2Corrupt('QCOW2_BAD_MAGIC', `qcow2 header: magic ${hex(raw.magic)}, expected ${hex(QCOW2_MAGIC)}`, 0);
  if (raw.version !== 2 && raw.version !== 3) {
    throw qcow2Unsupported('QCOW2_UNSUPPORTED_VERSION', `qcow2 header: version ${raw.version} (only 2 and 3 exist)`, { version: raw.version });
  }
  const version = raw.version;
  if (raw.clusterBits < MIN_CLUSTER_BITS || raw.clusterBits > MAX_CLUSTER_BITS) {
    throw qcow2Corrupt('QCOW2_BAD_CLUSTER_BITS', `qcow2 header: cluster_bits ${raw.clusterBits} outside ${MIN_CLUSTER_BITS}..${MAX_CLUSTER_BITS}`, 20);
  }
  const clusterBits = raw.clusterBits;
  const clusterSize = 2 ** clusterBits;
  const v3 = version === 3;
  const headerLength = v3 ? raw.headerLength : QCOW2_V2_HEADER_SIZE;
  if (v3 && (headerLength < QCOW2_V3_HEADER_SIZE || headerLength > clusterSize || headerLength % 8 !== 0)) {
    throw qcow2Corrupt('QCOW2_BAD_HEADER_LENGTH', `qcow2 header: header_length ${headerLength} (expected a multiple of 8 from 104 to the cluster size ${clusterSize})`, 100);
  }
  const incompatible = v3 ? raw.incompatibleFeatures : 0n;
  const compatible = v3 ? raw.compatibleFeatures : 0n;
  const autoclear = v3 ? raw.autoclearFeatures : 0n;
  const refcountOrder = v3 ? raw.refcountOrder : 4;
  if (refcountOrder > 6) throw qcow2Corrupt('QCOW2_BAD_REFCOUNT_ORDER', `qcow2 header: refcount_order ${refcountOrder} > 6`, 96);
  if (file.size < headerLength) throw qcow2Corrupt('QCOW2_TRUNCATED', `qcow2 header: header_length ${headerLength} past the end of a ${file.size}-byte file`, 0);

  // Extensions, backing name: all within the first cluster.
  const firstCluster = await file.read(0, Math.min(file.size, clusterSize));
  const ext = readExtensions(firstCluster, headerLength, clusterSize);
  const bit = (mask: bigint, n: number) => (mask & (1n << BigInt(n))) !== 0n;
  const unknown = incompatible & ~KNOWN_INCOMPATIBLE;
  if (unknown !== 0n) {
    const names = [...Array(64).keys()].filter((n) => bit(unknown, n)).map((n) => ext.featureNames.get(`incompatible:${n}`) ?? `bit ${n}`);
    throw qcow2Unsupported('QCOW2_UNKNOWN_INCOMPATIBLE_FEATURE', `qcow2 header: unknown incompatible feature(s) ${names.join(', ')} (mask ${hex(unknown)})`, {
      mask: hex(unknown),
      features: names,
    });
  }
  if (raw.cryptMethod !== 0) {
    throw qcow2Unsupported('QCOW2_ENCRYPTED', `qcow2 image is encrypted (crypt_method ${raw.cryptMethod}: ${raw.cryptMethod === 1 ? 'AES-CBC' : raw.cryptMethod === 2 ? 'LUKS' : 'unknown'}); encrypted qcow2 is not supported`, {
      cryptMethod: raw.cryptMethod,
    });
  }
  let compressionType: CompressionTypeName = 'zlib';
  const storedType = v3 && headerLength > QCOW2_V3_HEADER_SIZE ? raw.compressionType : 0;
  const typeBit = bit(incompatible, IncompatibleFeature.compressionType);
  if (storedType === CompressionType.zstd) compressionType = 'zstd';
  else if (storedType !== CompressionType.zlib) {
    throw qcow2Unsupported('QCOW2_UNKNOWN_COMPRESSION', `qcow2 header: compression_type ${storedType} (0 zlib and 1 zstd are known)`, { compressionType: storedType });
  }
  if (typeBit !== (storedType !== 0)) {
    throw qcow2Corrupt('QCOW2_COMPRESSION_BIT', `qcow2 header: compression_type ${storedType} but the compression type feature bit is ${typeBit ? 'set' : 'clear'}`, 72);
  }

  const size = toSafeNumber(raw.size, 'qcow2 header size', QCOW2_LAYER, 24);
  const l2Entries = clusterSize / (bit(incompatible, IncompatibleFeature.extendedL2) ? 16 : 8);
  const needed = Math.ceil(size / (clusterSize * l2Entries));
  if (raw.l1Size > MAX_L1_ENTRIES) {
    throw qcow2Limit('QCOW2_L1_TOO_LARGE', `qcow2 header: l1_size ${raw.l1Size} above our cap of ${MAX_L1_ENTRIES} entries`, 36, { l1Size: raw.l1Size, cap: MAX_L1_ENTRIES });
  }
  if (raw.l1Size < needed) {
    throw qcow2Corrupt('QCOW2_L1_TOO_SMALL', `qcow2 header: l1_size ${raw.l1Size} cannot map ${size} bytes (needs ${needed})`, 36, { l1Size: raw.l1Size, needed });
  }
  const l1TableOffset = toSafeNumber(raw.l1TableOffset, 'qcow2 header l1_table_offset', QCOW2_LAYER, 40);
  if (raw.l1Size > 0 && (l1TableOffset % clusterSize !== 0 || l1TableOffset === 0)) {
    throw qcow2Corrupt('QCOW2_BAD_L1_OFFSET', `qcow2 header: l1_table_offset ${hex(l1TableOffset)} is not a non-zero multiple of the cluster size`, 40);
  }
  const backingFile = readBackingName(firstCluster, raw.backingFileOffset, raw.backingFileSize, clusterSize);
  const header: Qcow2Header = {
    version,
    clusterBits,
    clusterSize,
    size,
    cryptMethod: raw.cryptMethod,
    l1Size: raw.l1Size,
    l1TableOffset,
    refcountTableOffset: toSafeNumber(raw.refcountTableOffset, 'qcow2 header refcount_table_offset', QCOW2_LAYER, 48),
    refcountTableClusters: raw.refcountTableClusters,
    nbSnapshots: raw.nbSnapshots,
    snapshotsOffset: toSafeNumber(raw.snapshotsOffset, 'qcow2 header snapshots_offset', QCOW2_LAYER, 64),
    incompatibleFeatures: incompatible,
    compatibleFeatures: compatible,
    autoclearFeatures: autoclear,
    refcountOrder,
    headerLength,
    compressionType,
    extendedL2: bit(incompatible, IncompatibleFeature.extendedL2),
    externalDataFile: bit(incompatible, IncompatibleFeature.externalDataFile),
    dirty: bit(incompatible, IncompatibleFeature.dirty),
    corrupt: bit(incompatible, IncompatibleFeature.corrupt),
    lazyRefcounts: bit(compatible, CompatibleFeature.lazyRefcounts),
    rawExternalData: bit(autoclear, AutoclearFeature.rawExternalData),
    backingFile,
    backingFormat: ext.backingFormat,
    dataFile: ext.dataFile,
    featureNames: ext.featureNames,
    unknownExtensions: ext.unknown,
  };
  if (header.externalDataFile && header.dataFile === undefined) {
    throw qcow2Corrupt('QCOW2_DATA_FILE_NAME_MISSING', 'qcow2 header: the external data file bit is set but no data file name extension exists', 72);
  }
  return header;
}

interface Extensions {
  backingFormat?: string;
  dataFile?: string;
  featureNames: Map<string, string>;
  unknown: number[];
}

function readExtensions(cluster: Uint8Array, start: number, clusterSize: number): Extensions {
  const out: Extensions = { featureNames: new Map(), unknown: [] };
  let at = start;
  // Each extension takes at least 8 bytes, so the walk ends within clusterSize / 8 steps.
  while (at + 8 <= cluster.length) {
    const { type, length } = Qcow2ExtensionHeaderStruct.decode(cluster, at);
    if (type === ExtensionType.end) return out;
    const dataStart = at + 8;
    if (length > clusterSize - dataStart || dataStart + length > cluster.length) {
      throw qcow2Corrupt('QCOW2_BAD_EXTENSION', `qcow2 header extension ${hex(type)} at ${hex(at)}: length ${length} runs past the first cluster`, at, { type: hex(type), length });
    }
    const data = cluster.subarray(dataStart, dataStart + length);
    switch (type) {
      case ExtensionType.backingFileFormat:
        out.backingFormat = decodeName(data);
        break;
      case ExtensionType.externalDataFile:
        out.dataFile = decodeName(data);
        break;
      case ExtensionType.featureNameTable:
        for (let o = 0; o + FeatureNameEntryStruct.size <= data.length; o += FeatureNameEntryStruct.size) {
          const entry = FeatureNameEntryStruct.decode(data, o);
          const kind = ['incompatible', 'compatible', 'autoclear'][entry.type] ?? `type${entry.type}`;
          out.featureNames.set(`${kind}:${entry.bit}`, entry.name);
        }
        break;
      case ExtensionType.fullDiskEncryption:
      case ExtensionType.bitmaps:
        break;
      default:
        out.unknown.push(type);
    }
    at = dataStart + Math.ceil(length / 8) * 8;
  }
  // Running off the first cluster without an end marker: qemu reads only to the cluster's end too.
  return out;
}

function readBackingName(cluster: Uint8Array, offset: bigint, size: number, clusterSize: number): string | undefined {
  if (offset === 0n) return undefined;
  if (size > MAX_BACKING_NAME) {
    throw qcow2Limit('QCOW2_BACKING_NAME_TOO_LONG', `qcow2 header: backing_file_size ${size} above ${MAX_BACKING_NAME}`, 16, { size });
  }
  if (offset + BigInt(size) > BigInt(Math.min(clusterSize, cluster.length))) {
    throw qcow2Corrupt('QCOW2_BAD_BACKING_NAME', `qcow2 header: backing file name at ${hex(offset)} (+${size}) is outside the first cluster`, 8);
  }
  return decodeName(cluster.subarray(Number(offset), Number(offset) + size));
}

/** Names in a qcow2 header are untrusted bytes; decode as UTF-8, stopping at a NUL. */
function decodeName(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder('utf-8').decode(end < 0 ? bytes : bytes.subarray(0, end));
}
