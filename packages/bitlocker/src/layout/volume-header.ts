/**
 * BitLocker volume header (the first sector of the encrypted volume).
 *
 * References: libbde format doc §2 "Volume header" (Windows Vista, Windows 7+,
 * BitLocker To Go variants); dislocker `src/metadata/metadata.c` (behaviour);
 * cryptsetup `lib/bitlk/bitlk.c` (signatures and GUIDs).
 *
 *   offset  size  Vista / Windows 7+                 To Go (FAT32-looking)
 *   0x003   8     "-FVE-FS-"                         "MSWIN4.1"
 *   0x00b   2     bytes per sector                   bytes per sector
 *   0x00d   1     sectors per cluster                sectors per cluster
 *   0x038   8     Vista: FVE metadata LCN            –
 *   0x0a0   16    7+: identifier GUID                –
 *   0x0b0   3×8   7+: FVE metadata block offsets     –
 *   0x1a8   16    –                                  identifier GUID
 *   0x0c8   2×8   7+ with the EOW GUID: EOW information offsets
 *   0x1b8   3×8   –                                  FVE metadata block offsets
 */
import { CorruptError, defineStruct, formatGuid, viewOf } from '@coldfix/io';

export const FVE_SIGNATURE = '-FVE-FS-';
/** The "information offset" GUID of Windows 7+ and To Go volumes. */
export const BITLOCKER_GUID = '4967d63b-2e29-4ad8-8399-f6a339e3d001';
/** The GUID of volumes whose header carries encrypt-on-write (used-space-only) information. */
export const BITLOCKER_EOW_GUID = '92a84d3b-dd80-4d0e-9e4e-b1e3284eaed8';

export const VolumeHeaderCommon = defineStruct('BitLockerVolumeHeader', 512, {
  signature: { offset: 3, type: 'ascii', size: 8 },
  bytesPerSector: { offset: 0x0b, type: 'u16le' },
  sectorsPerCluster: { offset: 0x0d, type: 'u8' },
  metadataLcn: { offset: 0x38, type: 'u64le' },
  identifier: { offset: 0xa0, type: 'guid' },
  toGoIdentifier: { offset: 0x1a8, type: 'guid' },
  bootSignature: { offset: 0x1fe, type: 'u16le' },
});

export type VolumeHeaderVariant = 'vista' | 'windows7' | 'to-go';

export interface VolumeHeader {
  variant: VolumeHeaderVariant;
  /** Identifier GUID (lowercase); empty for Vista, which has none. */
  identifier: string;
  bytesPerSector: number;
  sectorsPerCluster: number;
  /** Byte offsets of the FVE metadata blocks the header names (1 for Vista, 3 otherwise; zeros dropped). */
  metadataOffsets: number[];
  /** Byte offsets of the two EOW information copies (only with the EOW GUID; dissect.fve FVE_EOW_GUID_RECOGNITION). */
  eowOffsets: number[];
}

function isSignature(sector: Uint8Array, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (sector[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** True if the sector is a BitLocker volume header (any variant). Needs ≥ 512 bytes; never throws. */
export function isBitLockerHeader(sector: Uint8Array): boolean {
  if (sector.length < 512) return false;
  if (isSignature(sector, 3, FVE_SIGNATURE)) return true;
  if (isSignature(sector, 3, 'MSWIN4.1')) {
    const guid = formatGuid(sector.subarray(0x1a8, 0x1b8));
    return guid === BITLOCKER_GUID || guid === BITLOCKER_EOW_GUID;
  }
  return false;
}

function offsetsAt(sector: Uint8Array, at: number, count = 3): number[] {
  const view = viewOf(sector);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const value = view.getBigUint64(at + i * 8, true);
    if (value !== 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) out.push(Number(value));
  }
  return out;
}

/** Decodes the volume header. Throws CorruptError (BITLOCKER_NOT_FVE, BITLOCKER_BAD_GEOMETRY). */
export function decodeVolumeHeader(sector: Uint8Array): VolumeHeader {
  if (!isBitLockerHeader(sector)) {
    throw new CorruptError('not a BitLocker volume: no -FVE-FS- signature', { code: 'BITLOCKER_NOT_FVE', layer: 'bitlocker', offset: 3 });
  }
  const h = VolumeHeaderCommon.decode(sector);
  const bytesPerSector = h.bytesPerSector;
  const sectorsPerCluster = h.sectorsPerCluster;
  if (![512, 1024, 2048, 4096].includes(bytesPerSector) || sectorsPerCluster === 0) {
    throw new CorruptError(`BitLocker volume header: bad geometry (${bytesPerSector} bytes/sector, ${sectorsPerCluster} sectors/cluster)`, {
      code: 'BITLOCKER_BAD_GEOMETRY',
      layer: 'bitlocker',
      offset: 0x0b,
      details: { bytesPerSector, sectorsPerCluster },
    });
  }
  if (h.signature === 'MSWIN4.1') {
    const eowOffsets = h.toGoIdentifier === BITLOCKER_EOW_GUID ? offsetsAt(sector, 0x1d0, 2) : [];
    return { variant: 'to-go', identifier: h.toGoIdentifier, bytesPerSector, sectorsPerCluster, metadataOffsets: offsetsAt(sector, 0x1b8), eowOffsets };
  }
  if (h.identifier === BITLOCKER_GUID || h.identifier === BITLOCKER_EOW_GUID) {
    const eowOffsets = h.identifier === BITLOCKER_EOW_GUID ? offsetsAt(sector, 0xc8, 2) : [];
    return { variant: 'windows7', identifier: h.identifier, bytesPerSector, sectorsPerCluster, metadataOffsets: offsetsAt(sector, 0xb0), eowOffsets };
  }
  // Vista: no identifier; the only pointer is the LCN of the first metadata block.
  const lcn = h.metadataLcn;
  const offset = Number(lcn) * bytesPerSector * sectorsPerCluster;
  return {
    variant: 'vista',
    identifier: '',
    bytesPerSector,
    sectorsPerCluster,
    metadataOffsets: lcn !== 0n && Number.isSafeInteger(offset) ? [offset] : [],
    eowOffsets: [],
  };
}
