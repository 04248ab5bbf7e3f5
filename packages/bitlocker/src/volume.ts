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

export interface BitLockerVolume extends ByteSource {
  readonly info: BitLockerInfo;
  /** The protector that unlocked the volume (`type: 'none'` for a decrypted volume). */
  readonly protectorUsed: { guid: string; type: string };
}

type RunKind = 'zero' | 'plain' | 'cipher' | 'vista-boot';
interface Run { offset: number; length: number; kind: RunKind; stored: number }

interface Layout {
  sectorSize: number;
  size: number;
  headerLength: number;
  headerBackup: number;
  encryptedEnd: number;
  reserved: { start: number; end: number }[];
  converting: boolean;
  vista: boolean;
  mftMirrorLcn: bigint;
}

function buildLayout(source: ByteSource, metadata: FveMetadata, info: BitLockerInfo): Layout {
  const block = metadata.blocks[0];
  const h = block.header;
  const sectorSize = info.sectorSize;
  const vista = h.version === 1;
  const reserved = info.metadataOffsets.map((o) => ({ start: o, end: o + FVE_METADATA_REGION_SIZE }));
  let headerLength = 0;
  let headerBackup = 0;
  if (!vista && h.volumeHeaderOffset !== 0n && h.volumeHeaderOffset < BigInt(Number.MAX_SAFE_INTEGER)) {
    headerBackup = Number(h.volumeHeaderOffset);
    headerLength = Math.min(h.volumeHeaderSectorCount, 0x10000) * sectorSize;
    if (headerLength === 0) headerLength = 16 * sectorSize;
    reserved.push({ start: headerBackup, end: headerBackup + headerLength });
  }
  reserved.sort((a, b) => a.start - b.start);
  const size = Math.max(source.size, info.volumeSize);
  let encryptedEnd: number;
  if (h.currentState === FveState.decrypted) encryptedEnd = 0;
  else if (h.currentState === FveState.encrypted || vista) encryptedEnd = size;
  else encryptedEnd = Math.min(size, Number(h.encryptedVolumeSize));
  return {
    sectorSize, size, headerLength, headerBackup, encryptedEnd, reserved,
    converting: h.currentState !== FveState.encrypted && h.currentState !== FveState.decrypted && !vista,
    vista, mftMirrorLcn: h.volumeHeaderOffset,
  };
}

/** Splits the sector-aligned range [start, end) into runs of one kind each. */
function planRuns(layout: Layout, sourceSize: number, start: number, end: number): Run[] {
  const cuts = new Set<number>([start, end, layout.headerLength, layout.encryptedEnd, sourceSize]);
  for (const r of layout.reserved) { cuts.add(r.start); cuts.add(r.end); }
  if (layout.vista) cuts.add(layout.sectorSize);
  const points = [...cuts].filter((p) => p >= start && p <= end).sort((a, b) => a - b);
  const runs: Run[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const offset = points[i];
    const length = points[i + 1] - offset;
    if (length <= 0) continue;
    let kind: RunKind;
    let stored = offset;
    if (layout.vista && offset === 0) kind = 'vista-boot';
    else if (offset < layout.headerLength) {
      stored = layout.headerBackup + offset;
      kind = stored < layout.encryptedEnd ? 'cipher' : 'plain';
    } else if (layout.reserved.some((r) => offset >= r.start && offset < r.end)) kind = 'zero';
    else kind = offset < layout.encryptedEnd ? 'cipher' : 'plain';
    if (kind !== 'zero' && stored >= sourceSize) kind = 'zero'; // past the end of a truncated image
    else if (kind !== 'zero' && stored + length > sourceSize) {
      // Only possible for relocated header runs; split at the image end.
      const inside = sourceSize - stored;
      runs.push({ offset, length: inside, kind, stored });
      runs.push({ offset: offset + inside, length: length - inside, kind: 'zero', stored: sourceSize });
      continue;
    }
    const last = runs[runs.length - 1];
    if (last && last.kind === kind && last.offset + last.length === offset && last.stored + last.length === stored) last.length += length;
    else runs.push({ offset, length, kind, stored });
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

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, 'bitlocker');
    if (length === 0) return new Uint8Array(0);
    const ss = this.layout.sectorSize;
    const start = Math.floor(offset / ss) * ss;
    const end = Math.min(Math.ceil((offset + length) / ss) * ss, Math.ceil(this.size / ss) * ss);
    const out = new Uint8Array(end - start);
    for (const run of this.plan(start, end)) {
      if (run.kind === 'zero') continue;
      const readable = Math.min(run.length, this.source.size - run.stored);
      const bytes = await this.source.read(run.stored, readable);
      const at = run.offset - start;
      out.set(bytes, at);
      if (run.kind === 'cipher' && this.cipher) {
        const whole = Math.floor(readable / ss) * ss;
        this.cipher.decrypt(out.subarray(at, at + whole), run.stored);
      } else if (run.kind === 'vista-boot') {
        // Vista leaves sector 0 in the clear, with the FVE signature over the OEM ID and
        // the FVE metadata LCN over the $MFTMirr LCN field (restored from the block header).
        out.set(NTFS_OEM, at + 3);
        new DataView(out.buffer, out.byteOffset + at).setBigUint64(0x38, this.layout.mftMirrorLcn, true);
        if (this.cipher && readable > ss) this.cipher.decrypt(out.subarray(at + ss, at + Math.floor(readable / ss) * ss), run.stored + ss);
      }
    }
    return offset === start && length === out.length ? out : out.subarray(offset - start, offset - start + length);
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
    if (start === offset && end === offset + data.length) plain = data.slice();
    else {
      plain = await this.read(start, end - start);
      plain = plain.slice();
      plain.set(data, offset - start);
    }
    const target = this.source as WritableByteSource;
    for (const run of runs) {
      const chunk = plain.slice(run.offset - start, run.offset - start + run.length);
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
