/**
 * Hosted sparse extents (`KDMV`): monolithicSparse, twoGbMaxExtentSparse and
 * streamOptimized. Grain directory of 32-bit sectors of grain tables; grain
 * tables of 32-bit sectors of grains (0 = not here: the parent's or zeros;
 * 1 = zeroed grain when the header says so). streamOptimized: grain table
 * entries point at grain markers holding deflate-compressed grains, and the
 * header at offset 0 may say GD_AT_END: the footer near the end of the file
 * (a copy of the header with the real gdOffset) then takes precedence.
 *
 * References: VMware "Virtual Disk Format 5.0" (hosted sparse extents,
 * stream-optimized extents); libyal libvmdk format §4; qemu block/vmdk.c
 * (vmdk_open_vmdk4, get_cluster_offset, vmdk_read_extent).
 */
import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import { toSafeNumber, type ByteSource, type JsonValue } from '@coldfix/io';
import { decodeDescriptorBytes } from '../descriptor.js';
import { GrainMarkerStruct, MarkerType, MetadataMarkerStruct } from '../layout/marker.js';
import { GD_AT_END, SPARSE_HEADER_SIZE, SPARSE_MAGIC, SparseExtentHeaderStruct, SparseFlags, type SparseExtentHeader } from '../layout/sparse-header.js';
import { hex, VMDK_LAYER, VMDK_LIMITS, vmdkCorrupt, vmdkLimit, vmdkUnsupported } from '../vmdk-errors.js';
import { BoundedCache, GrainExtent, type GrainRef } from './extent.js';

const inflateAsync = promisify(inflate);

export interface SparseHeaderLocation {
  header: SparseExtentHeader;
  /** The header copy actually used: 0, or the footer's offset (streamOptimized, GD_AT_END). */
  offset: number;
  anomalies: string[];
}

/** Reads and checks the header (and the footer when gdOffset is GD_AT_END). Throws CorruptError / UnsupportedError / LimitExceededError. */
export async function readSparseHeader(file: ByteSource, path: string): Promise<SparseHeaderLocation> {
  if (file.size < SPARSE_HEADER_SIZE) throw vmdkCorrupt('VMDK_TRUNCATED', `${path}: ${file.size} bytes is too short for a sparse extent header`, 0, { path });
  const header = SparseExtentHeaderStruct.decode(await file.read(0, SPARSE_HEADER_SIZE));
  checkHeader(header, path, 0);
  const anomalies: string[] = [];
  if (header.gdOffset !== GD_AT_END) return { header, offset: 0, anomalies };
  // Footer marker at -1536, footer (the header copy) at -1024, end-of-stream marker at -512.
  if (file.size < 4 * 512) throw vmdkCorrupt('VMDK_NO_FOOTER', `${path}: gdOffset is GD_AT_END but the file is too short for a footer`, 0, { path });
  const tail = await file.read(file.size - 1536, 1536);
  const footerOffset = file.size - 1024;
  const marker = MetadataMarkerStruct.decode(tail, 0);
  if (marker.size !== 0 || marker.type !== MarkerType.footer) anomalies.push(`${path}: no footer marker before the footer at ${hex(footerOffset)}`);
  const footer = SparseExtentHeaderStruct.decode(tail, 512);
  if (footer.magicNumber !== SPARSE_MAGIC) {
    throw vmdkCorrupt('VMDK_BAD_FOOTER', `${path}: gdOffset is GD_AT_END but the footer at ${hex(footerOffset)} has magic ${hex(footer.magicNumber)}, expected KDMV`, footerOffset, { path });
  }
  checkHeader(footer, path, footerOffset);
  if (footer.gdOffset === GD_AT_END) throw vmdkCorrupt('VMDK_BAD_FOOTER', `${path}: the footer at ${hex(footerOffset)} also says GD_AT_END`, footerOffset, { path });
  return { header: footer, offset: footerOffset, anomalies };
}

function checkHeader(h: SparseExtentHeader, path: string, at: number): void {
  if (h.magicNumber !== SPARSE_MAGIC) throw vmdkCorrupt('VMDK_BAD_MAGIC', `${path}: sparse header magic ${hex(h.magicNumber)} at ${hex(at)}, expected KDMV`, at, { path });
  if (h.version < 1 || h.version > 3) throw vmdkUnsupported('VMDK_UNSUPPORTED_VERSION', `${path}: sparse extent version ${h.version} (1-3 supported)`, { path, version: h.version });
  const grain = h.grainSize;
  if (grain < 1n || (grain & (grain - 1n)) !== 0n || grain * 512n > BigInt(VMDK_LIMITS.grainBytes)) {
    throw vmdkCorrupt('VMDK_BAD_GRAIN_SIZE', `${path}: grainSize ${grain} sectors at ${hex(at + 20)} is not a power of two up to ${VMDK_LIMITS.grainBytes / 512}`, at + 20, { path });
  }
  if (h.numGTEsPerGT < 1 || h.numGTEsPerGT > VMDK_LIMITS.gtEntries) {
    throw vmdkCorrupt('VMDK_BAD_GT_SIZE', `${path}: numGTEsPerGT ${h.numGTEsPerGT} at ${hex(at + 44)} is outside 1-${VMDK_LIMITS.gtEntries}`, at + 44, { path });
  }
  toSafeNumber(h.capacity * 512n, 'SparseExtentHeader.capacity bytes', VMDK_LAYER, at + 12);
  if ((h.flags & SparseFlags.compressedGrains) !== 0 && h.compressAlgorithm !== 1) {
    throw vmdkUnsupported('VMDK_UNSUPPORTED_COMPRESSION', `${path}: compressed grains with compressAlgorithm ${h.compressAlgorithm} (only 1, deflate, is defined)`, { path });
  }
}

/** The embedded descriptor's text, when the header reserves one. */
export async function readEmbeddedDescriptor(file: ByteSource, header: SparseExtentHeader, path: string): Promise<string | undefined> {
  if (header.descriptorOffset === 0n || header.descriptorSize === 0n) return undefined;
  const size = header.descriptorSize * 512n;
  const offset = header.descriptorOffset * 512n;
  if (size > BigInt(VMDK_LIMITS.descriptorBytes)) {
    throw vmdkLimit('VMDK_DESCRIPTOR_TOO_LARGE', `${path}: embedded descriptor of ${size} bytes exceeds ${VMDK_LIMITS.descriptorBytes}`, undefined, { path });
  }
  if (offset + size > BigInt(file.size)) throw vmdkCorrupt('VMDK_DESCRIPTOR_OUTSIDE_FILE', `${path}: embedded descriptor at sector ${header.descriptorOffset} is past the file's end`, undefined, { path });
  return decodeDescriptorBytes(await file.read(Number(offset), Number(size)), path, Number(offset));
}

export class SparseExtent extends GrainExtent {
  readonly kind = 'SPARSE';
  readonly gtEntries: number;
  readonly gd: Uint32Array;
  /** The redundant grain directory (flag 0x2 and rgdOffset set): kept in step by writes. */
  rgd: Uint32Array | undefined;
  readonly header: SparseExtentHeader;
  readonly compressed: boolean;
  private readonly zeroedGte: boolean;
  private readonly grains = new BoundedCache<Uint8Array>(32);

  private constructor(path: string, file: ByteSource, size: number, location: SparseHeaderLocation, gd: Uint32Array) {
    const h = location.header;
    super(path, file, size, Number(h.grainSize) * 512);
    this.header = h;
    this.gtEntries = h.numGTEsPerGT;
    this.gd = gd;
    this.compressed = (h.flags & SparseFlags.compressedGrains) !== 0;
    this.zeroedGte = (h.flags & SparseFlags.zeroedGrainGte) !== 0;
    this.anomalies.push(...location.anomalies);
    if (h.uncleanShutdown) this.anomalies.push(`${path}: uncleanShutdown is set (the image was not closed cleanly)`);
  }

  /** Opens a hosted sparse extent covering `size` virtual bytes (default: its capacity). */
  static async open(path: string, file: ByteSource, size?: number, location?: SparseHeaderLocation): Promise<SparseExtent> {
    const loc = location ?? (await readSparseHeader(file, path));
    const h = loc.header;
    const capacity = Number(h.capacity) * 512;
    const coverage = Number(h.grainSize) * 512 * h.numGTEsPerGT;
    const entries = Math.ceil(capacity / coverage);
    const bytes = entries * 4;
    const gdOffset = toSafeNumber(h.gdOffset * 512n, 'SparseExtentHeader.gdOffset bytes', VMDK_LAYER, loc.offset + 56);
    if (bytes > VMDK_LIMITS.grainDirectoryBytes) throw vmdkLimit('VMDK_GD_TOO_LARGE', `${path}: grain directory of ${bytes} bytes exceeds ${VMDK_LIMITS.grainDirectoryBytes}`, gdOffset, { path });
    if (gdOffset < 512 || gdOffset + bytes > file.size) {
      throw vmdkCorrupt('VMDK_GD_OUTSIDE_FILE', `${path}: grain directory [${hex(gdOffset)}, +${bytes}) is outside the ${file.size}-byte file`, gdOffset, { path });
    }
    const raw = await file.read(gdOffset, bytes);
    const gd = new Uint32Array(entries);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < entries; i++) gd[i] = view.getUint32(i * 4, true);
    const extent = new SparseExtent(path, file, size ?? capacity, loc, gd);
    const rgdOffset = Number(h.rgdOffset) * 512;
    if ((h.flags & SparseFlags.redundantGrainTable) !== 0 && h.rgdOffset !== 0n) {
      if (!Number.isSafeInteger(rgdOffset) || rgdOffset < 512 || rgdOffset + bytes > file.size) {
        extent.anomalies.push(`${path}: redundant grain directory [${hex(rgdOffset)}, +${bytes}) is outside the file: ignored`);
      } else {
        const rawRgd = await file.read(rgdOffset, bytes);
        const rview = new DataView(rawRgd.buffer, rawRgd.byteOffset, rawRgd.byteLength);
        extent.rgd = new Uint32Array(entries);
        for (let i = 0; i < entries; i++) extent.rgd[i] = rview.getUint32(i * 4, true);
      }
    }
    if ((size ?? capacity) > capacity) extent.anomalies.push(`${path}: descriptor gives ${size} bytes, the extent's capacity is ${capacity}: the rest reads as zeros`);
    return extent;
  }

  /** The primary grain table `gtIndex` (cached; writes update the cached copy in place). */
  grainTable(gtIndex: number): Promise<Uint8Array> {
    const gtSector = this.gd[gtIndex];
    return this.tables.get(gtIndex, () => this.readTable(`grain table ${gtIndex}`, gtSector * 512, this.gtEntries * 4));
  }

  protected async lookup(index: number): Promise<GrainRef> {
    const gtIndex = Math.floor(index / this.gtEntries);
    if (gtIndex >= this.gd.length) return { kind: 'zero' };
    const gtSector = this.gd[gtIndex];
    if (gtSector === 0) return { kind: 'parent' };
    const table = await this.grainTable(gtIndex);
    const at = (index % this.gtEntries) * 4;
    const gte = (table[at] | (table[at + 1] << 8) | (table[at + 2] << 16) | (table[at + 3] << 24)) >>> 0;
    if (gte === 0) return { kind: 'parent' };
    if (gte === 1 && this.zeroedGte) return { kind: 'zero' };
    return { kind: this.compressed ? 'compressed' : 'data', fileOffset: gte * 512 };
  }

  protected override readCompressed(index: number, fileOffset: number): Promise<Uint8Array> {
    return this.grains.get(index, () => this.inflateGrain(index, fileOffset));
  }

  private async inflateGrain(index: number, fileOffset: number): Promise<Uint8Array> {
    const where = { path: this.path, grain: index };
    if (fileOffset + 12 > this.file.size) throw vmdkCorrupt('VMDK_GRAIN_OUTSIDE_FILE', `${this.path}: grain marker at ${hex(fileOffset)} is past the file's end`, fileOffset, where);
    let bytes = await this.file.read(fileOffset, Math.min(4096, this.file.size - fileOffset));
    const marker = GrainMarkerStruct.decode(bytes);
    const expectedLba = BigInt(index) * BigInt(this.grainBytes / 512);
    // deflate never grows data by more than ~0.1% + a few bytes; anything larger is corrupt.
    const maxCompressed = this.grainBytes + (this.grainBytes >> 6) + 1024;
    if (marker.size === 0 || marker.size > maxCompressed) {
      throw vmdkCorrupt('VMDK_BAD_GRAIN_MARKER', `${this.path}: grain marker at ${hex(fileOffset)} has size ${marker.size} (1-${maxCompressed})`, fileOffset, where);
    }
    if (marker.lba !== expectedLba) {
      throw vmdkCorrupt('VMDK_BAD_GRAIN_MARKER', `${this.path}: grain marker at ${hex(fileOffset)} names sector ${marker.lba}, expected ${expectedLba}`, fileOffset, where);
    }
    if (fileOffset + 12 + marker.size > this.file.size) throw vmdkCorrupt('VMDK_GRAIN_OUTSIDE_FILE', `${this.path}: compressed grain at ${hex(fileOffset)} runs past the file's end`, fileOffset, where);
    if (12 + marker.size > bytes.length) bytes = await this.file.read(fileOffset, 12 + marker.size);
    let out: Uint8Array;
    try {
      out = await inflateAsync(bytes.subarray(12, 12 + marker.size), { maxOutputLength: this.grainBytes });
    } catch (error) {
      throw vmdkCorrupt('VMDK_BAD_COMPRESSED_GRAIN', `${this.path}: grain ${index} at ${hex(fileOffset)} does not inflate to at most ${this.grainBytes} bytes: ${(error as Error).message}`, fileOffset, where);
    }
    const isLast = (index + 1) * this.grainBytes >= this.size;
    if (out.length === this.grainBytes) return out;
    if (!isLast) throw vmdkCorrupt('VMDK_BAD_COMPRESSED_GRAIN', `${this.path}: grain ${index} at ${hex(fileOffset)} inflates to ${out.length} bytes, expected ${this.grainBytes}`, fileOffset, where);
    const padded = new Uint8Array(this.grainBytes);
    padded.set(out);
    return padded;
  }

  describe(): Record<string, JsonValue> {
    const h = this.header;
    return {
      kind: this.kind,
      path: this.path,
      size: this.size,
      version: h.version,
      flags: h.flags,
      grainSize: this.grainBytes,
      numGTEsPerGT: this.gtEntries,
      gdEntries: this.gd.length,
      compressed: this.compressed,
      uncleanShutdown: h.uncleanShutdown !== 0,
    };
  }
}
