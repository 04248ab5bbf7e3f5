/**
 * The unlocked BitLocker volume: a plaintext ByteSource over the encrypted one.
 *
 * References: libbde format doc §"Volume layout" (relocated volume header,
 * metadata areas); dislocker `decrypt.c` / `encrypt.c` (behaviour: Vista
 * sector 0, reads past EOF as zeros); cryptsetup `bitlk.c` (segment map: the
 * first sectors come from the volume header backup, with the IV of where they
 * are stored).
 *
 * Plaintext address space (v2):
 *
 *   0 ───────── H ─────────── M1 ── M1+64K ── B ── B+H ── … ── E ──────── size
 *   │ header    │ data        │ metadata │ …  │ backup │     │ plaintext │
 *   │ (read at  │ (decrypt in │ (zeros)  │    │(zeros) │     │ (past the │
 *   │  B + x)   │  place)     │          │    │        │     │ boundary) │
 *
 * H = volume header sectors × sector size, B = volume header backup offset,
 * E = encrypted size (conversion boundary; the whole volume when encrypted).
 * Each run is planned (zero | plain | cipher with its stored offset), then
 * executed in one read and one batched decryption per run.
 */
import { OutOfRangeError, PreconditionError, UnsupportedError, checkRange, isWritable, type ByteSource, type SourceInfo, type WritableByteSource } from '@coldfix/io';
import { createSectorCipher, type SectorCipher } from './codec/sector-cipher.js';
import { FveState, FVE_METADATA_REGION_SIZE } from './layout/fve-block-header.js';
import { methodName } from './layout/fve-metadata-header.js';
import type { BitLockerInfo } from './info.js';
import type { FveMetadata } from './metadata.js';
import { eowStateAt, type EowMap } from './layout/eow.js';

export interface BitLockerVolume extends ByteSource {
  readonly info: BitLockerInfo;
  /** The protector that unlocked the volume (`type: 'none'` for a decrypted volume). */
  readonly protectorUsed: { guid: string; type: string };
}

type RunKind = 'zero' | 'plain' | 'cipher' | 'vista-boot';
export interface Run { offset: number; length: number; kind: RunKind; stored: number }

interface Layout {
  sectorSize: number;
  size: number;
  /** Bytes at the start of the volume that are stored at `headerBackup` (v2). */
  headerLength: number;
  headerBackup: number;
  /** Conversion boundary (stored offsets below it are encrypted) when there is no EOW map. */
  encryptedEnd: number;
  reserved: { start: number; end: number }[];
  converting: boolean;
  vista: boolean;
  mftMirrorLcn: bigint;
  eow: EowMap | undefined;
}

/** Vista leaves the first 0x2000 bytes unencrypted (dissect.fve `_iter_runs`). */
const VISTA_PLAIN_HEAD = 0x2000;

function buildLayout(source: ByteSource, metadata: FveMetadata, info: BitLockerInfo): Layout {
  const block = metadata.blocks[0];
  const h = block.header;
  const sectorSize = info.sectorSize;
  const vista = h.version === 1;
  // Reserved sizes as fvevol.sys (via dissect.fve `reserved_regions`): v2 64 KiB; v1 16 KiB rounded to clusters.
  const clusterSize = sectorSize * metadata.volumeHeader.sectorsPerCluster;
  const regionSize = vista ? Math.floor((clusterSize + 0x3fff) / clusterSize) * clusterSize : FVE_METADATA_REGION_SIZE;
  const reserved = info.metadataOffsets.map((o) => ({ start: o, end: o + regionSize }));
  let headerLength = 0;
  let headerBackup = 0;
  if (!vista && h.volumeHeaderOffset !== 0n && h.volumeHeaderOffset < BigInt(Number.MAX_SAFE_INTEGER)) {
    headerBackup = Number(h.volumeHeaderOffset);
    headerLength = Math.max(1, Math.min(h.volumeHeaderSectorCount, 0x10000)) * sectorSize;
    reserved.push({ start: headerBackup, end: headerBackup + headerLength });
  }
  if (metadata.eow) reserved.push(...metadata.eow.reserved);
  reserved.sort((a, b) => a.start - b.start);
  const size = Math.max(source.size, info.volumeSize);
  let encryptedEnd: number;
  if (h.currentState === FveState.decrypted) encryptedEnd = 0;
  else if (h.currentState === FveState.encrypted || vista) encryptedEnd = Number.MAX_SAFE_INTEGER;
  else encryptedEnd = Math.min(size, Number(h.encryptedVolumeSize));
  return {
    sectorSize, size, headerLength, headerBackup, encryptedEnd, reserved,
    converting: h.currentState !== FveState.encrypted && h.currentState !== FveState.decrypted && !vista,
    vista, mftMirrorLcn: h.volumeHeaderOffset,
    eow: h.currentState === FveState.decrypted ? undefined : metadata.eow,
  };
}

/** Encryption state at a stored offset, and the stored offset where it may change. */
function encryptedAt(layout: Layout, stored: number): { encrypted: boolean; end: number } {
  if (layout.eow) return eowStateAt(layout.eow, stored);
  return stored < layout.encryptedEnd ? { encrypted: true, end: layout.encryptedEnd } : { encrypted: false, end: Number.MAX_SAFE_INTEGER };
}

/** Classifies the plaintext offset `pos`: what it is, where it is stored, and up to where that holds. */
function classify(layout: Layout, pos: number): { kind: RunKind; stored: number; limit: number } {
  if (layout.vista && pos < VISTA_PLAIN_HEAD) {
    return pos < layout.sectorSize ? { kind: 'vista-boot', stored: 0, limit: layout.sectorSize } : { kind: 'plain', stored: pos, limit: VISTA_PLAIN_HEAD };
  }
  if (pos < layout.headerLength) {
    const stored = layout.headerBackup + pos;
    const state = encryptedAt(layout, stored);
    return { kind: state.encrypted ? 'cipher' : 'plain', stored, limit: Math.min(layout.headerLength, pos + (state.end - stored)) };
  }
  let limit = Number.MAX_SAFE_INTEGER;
  for (const r of layout.reserved) {
    if (pos >= r.start && pos < r.end) return { kind: 'zero', stored: pos, limit: r.end };
    if (r.start > pos) limit = Math.min(limit, r.start);
  }
  const state = encryptedAt(layout, pos);
  return { kind: state.encrypted ? 'cipher' : 'plain', stored: pos, limit: Math.min(limit, state.end) };
}

/** Splits the sector-aligned range [start, end) into runs of one kind each (planned, then executed). */
function planRuns(layout: Layout, sourceSize: number, start: number, end: number): Run[] {
  const runs: Run[] = [];
  for (let pos = start; pos < end; ) {
    const c = classify(layout, pos);
    let kind = c.kind;
    let limit = Math.min(end, Math.max(c.limit, pos + 1));
    if (kind !== 'zero') {
      if (c.stored >= sourceSize) kind = 'zero'; // past the end of a truncated image
      else limit = Math.min(limit, pos + (sourceSize - c.stored));
    }
    const length = limit - pos;
    const last = runs[runs.length - 1];
    if (last && last.kind === kind && last.offset + last.length === pos && (kind === 'zero' || last.stored + last.length === c.stored)) last.length += length;
    else runs.push({ offset: pos, length, kind, stored: c.stored });
    pos = limit;
  }
  return runs;
}

const NTFS_OEM = Uint8Array.from('NTFS    ', (c) => c.charCodeAt(0));

class BitLockerVolumeReader implements BitLockerVolume {
  readonly blockSize: number;
  readonly size: number;
  protected readonly layout: Layout;
  constructor(
    protected readonly source: ByteSource,
    readonly info: BitLockerInfo,
    metadata: FveMetadata,
    protected readonly cipher: SectorCipher | undefined,
    readonly protectorUsed: { guid: string; type: string },
  ) {
    this.layout = buildLayout(source, metadata, info);
    this.blockSize = this.layout.sectorSize;
    this.size = this.layout.size;
  }

  protected plan(start: number, end: number): Run[] {
    return planRuns(this.layout, this.source.size, start, end);
  }

  /** The read plan for a sector-aligned range (for tests and reports): kind, plaintext offset, length, stored offset. */
  mapRange(offset: number, length: number): Run[] {
    return this.plan(offset, offset + length).map((r) => ({ ...r }));
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, 'bitlocker');
    if (length === 0) return new Uint8Array(0);
    const ss = this.layout.sectorSize;
    const start = Math.floor(offset / ss) * ss;
    const end = Math.min(Math.ceil((offset + length) / ss) * ss, Math.ceil(this.size / ss) * ss);
    const out = new Uint8Array(end - start);
    await this.fill(out, start, true);
    return offset === start && length === out.length ? out : out.subarray(offset - start, offset - start + length);
  }

  /**
   * `read` into the caller's buffer: sector-aligned ranges are decrypted in place
   * there (bulk readers reuse one buffer instead of a fresh allocation per call);
   * unaligned ones go through `read`.
   */
  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(offset, target.length, this.size, 'bitlocker');
    const ss = this.layout.sectorSize;
    if (offset % ss === 0 && target.length % ss === 0) await this.fill(target, offset, false);
    else target.set(await this.read(offset, target.length));
  }

  /** Fills `out` with the plaintext of [start, start + out.length) (sector-aligned); `zeroed` when out is fresh. */
  private async fill(out: Uint8Array, start: number, zeroed: boolean): Promise<void> {
    const ss = this.layout.sectorSize;
    for (const run of this.plan(start, start + out.length)) {
      const at = run.offset - start;
      const readable = run.kind === 'zero' ? 0 : Math.max(0, Math.min(run.length, this.source.size - run.stored));
      // Zero runs (metadata regions) and the part past a truncated image read as zeros.
      if (!zeroed && readable < run.length) out.fill(0, at + readable, at + run.length);
      if (readable === 0) continue;
      if (run.kind === 'cipher' && this.cipher && this.source.readInto) {
        // The ciphertext lands straight in the output and is decrypted in place: no second
        // allocation or copy (what bulk reads pay most for beside AES itself; bench/bitlocker-bench).
        const target = out.subarray(at, at + readable);
        await this.source.readInto(run.stored, target);
        this.cipher.decrypt(target.subarray(0, Math.floor(readable / ss) * ss), run.stored);
        continue;
      }
      const bytes = await this.source.read(run.stored, readable);
      if (run.kind === 'cipher' && this.cipher) {
        // Decrypt straight from the source's buffer (never modified: it may be a cache's) into ours.
        const whole = Math.floor(readable / ss) * ss;
        this.cipher.decryptTo(bytes.subarray(0, whole), out.subarray(at, at + whole), run.stored);
        if (whole < readable) out.set(bytes.subarray(whole), at + whole);
        continue;
      }
      out.set(bytes, at);
      if (run.kind === 'vista-boot') {
        // Vista leaves sector 0 in the clear, with the FVE signature over the OEM ID and
        // the FVE metadata LCN over the $MFTMirr LCN field (restored from the block header).
        out.set(NTFS_OEM, at + 3);
        new DataView(out.buffer, out.byteOffset + at).setBigUint64(0x38, this.layout.mftMirrorLcn, true);
      }
    }
  }

  async close(): Promise<void> {
    await this.source.close();
  }

  describe(): SourceInfo {
    return {
      kind: 'bitlocker',
      identity: this.info.volumeGuid,
      details: { method: this.info.method, state: this.info.state, version: this.info.version, protectorUsed: this.protectorUsed.guid, protectorType: this.protectorUsed.type },
      parent: this.source.describe(),
    };
  }
}

class WritableBitLockerVolume extends BitLockerVolumeReader implements WritableByteSource {
  readonly writable = true as const;

  /**
   * Encrypts and writes plaintext. Partial sectors are read, merged and rewritten.
   * Throws PreconditionError when the range touches FVE metadata or the header
   * backup, or straddles the boundary of a volume mid-conversion; OutOfRangeError
   * past the image end.
   */
  async write(offset: number, data: Uint8Array): Promise<void> {
    checkRange(offset, data.length, this.size, 'bitlocker');
    if (data.length === 0) return;
    const ss = this.layout.sectorSize;
    const start = Math.floor(offset / ss) * ss;
    const end = Math.ceil((offset + data.length) / ss) * ss;
    const { encryptedEnd, converting } = this.layout;
    if (converting && start < encryptedEnd && end > encryptedEnd) {
      throw new PreconditionError(`BitLocker volume ${this.info.volumeGuid} is part-way through conversion: a write must not straddle the boundary at 0x${encryptedEnd.toString(16)}`, {
        code: 'BITLOCKER_WRITE_CONVERSION_BOUNDARY', layer: 'bitlocker', offset, details: { length: data.length, boundary: encryptedEnd },
      });
    }
    const runs = this.plan(start, end);
    for (const run of runs) {
      if (run.kind === 'zero') {
        if (run.stored >= this.source.size) {
          throw new OutOfRangeError(`write at 0x${run.offset.toString(16)} lies past the end of the encrypted image`, { code: 'BITLOCKER_WRITE_PAST_IMAGE', layer: 'bitlocker', offset: run.offset });
        }
        throw new PreconditionError(`write at 0x${run.offset.toString(16)} would overwrite BitLocker metadata`, { code: 'BITLOCKER_WRITE_METADATA', layer: 'bitlocker', offset: run.offset });
      }
      if (run.kind === 'vista-boot') {
        throw new UnsupportedError('writing the boot sector of a Vista BitLocker volume is not supported', { code: 'BITLOCKER_WRITE_VISTA_BOOT', layer: 'bitlocker', offset: run.offset });
      }
    }
    let plain: Uint8Array;
    // Copies, never views: Buffer#slice would alias the caller's data and encrypt it in place.
    if (start === offset && end === offset + data.length) plain = new Uint8Array(data);
    else {
      plain = await this.read(start, end - start);
      plain = new Uint8Array(plain);
      plain.set(data, offset - start);
    }
    const target = this.source as WritableByteSource;
    for (const run of runs) {
      const chunk = new Uint8Array(plain.subarray(run.offset - start, run.offset - start + run.length));
      if (run.kind === 'cipher') {
        if (!this.cipher) throw new UnsupportedError('no cipher for this volume', { code: 'BITLOCKER_NO_CIPHER', layer: 'bitlocker' });
        this.cipher.encrypt(chunk, run.stored);
      }
      await target.write(run.stored, chunk);
    }
  }

  async flush(): Promise<void> {
    await (this.source as WritableByteSource).flush();
  }
}

/** Builds the plaintext view once the FVEK is known (or for a decrypted volume, without one). */
export function openBitLockerVolume(
  source: ByteSource,
  metadata: FveMetadata,
  info: BitLockerInfo,
  fvek: { method: number; key: Uint8Array } | undefined,
  protectorUsed: { guid: string; type: string },
): BitLockerVolume {
  let cipher: SectorCipher | undefined;
  if (metadata.eowError && metadata.blocks[0].header.currentState !== FveState.decrypted) {
    // Without the bitmap we cannot tell encrypted chunks from plaintext ones: refuse rather than guess.
    throw metadata.eowError;
  }
  if (fvek) {
    cipher = createSectorCipher(fvek.method, fvek.key, info.sectorSize);
    if (!cipher) {
      throw new UnsupportedError(`BitLocker encryption method ${methodName(fvek.method)} (key of ${fvek.key.length} bytes) is not supported`, {
        code: 'BITLOCKER_METHOD_UNSUPPORTED', layer: 'bitlocker', details: { method: fvek.method, keyLength: fvek.key.length },
      });
    }
  }
  return isWritable(source)
    ? new WritableBitLockerVolume(source, info, metadata, cipher, protectorUsed)
    : new BitLockerVolumeReader(source, info, metadata, cipher, protectorUsed);
}
