/** Error helpers for the VMDK layer: messages name the file, structure, field, expected vs actual and the hex offset. */
import { CorruptError, LimitExceededError, UnsupportedError, type JsonValue } from '@coldfix/io';

export const VMDK_LAYER = 'vmdk';

export function vmdkCorrupt(code: string, message: string, offset?: number, details: Record<string, JsonValue> = {}): CorruptError {
  return new CorruptError(message, { code, layer: VMDK_LAYER, offset, details });
}

export function vmdkLimit(code: string, message: string, offset?: number, details: Record<string, JsonValue> = {}): LimitExceededError {
  return new LimitExceededError(message, { code, layer: VMDK_LAYER, offset, details });
}

export function vmdkUnsupported(code: string, message: string, details: Record<string, JsonValue> = {}): UnsupportedError {
  return new UnsupportedError(message, { code, layer: VMDK_LAYER, details });
}

export const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

/** Caps on sizes read from disk (bytes or counts), checked before anything is allocated. */
export const VMDK_LIMITS = {
  /** A text descriptor (standalone file or embedded) larger than this is refused. */
  descriptorBytes: 1 << 20,
  extents: 4096,
  /** Grain directory bytes loaded at open. */
  grainDirectoryBytes: 64 << 20,
  /** Grain tables kept in the cache per extent. */
  cachedGrainTables: 256,
  /** Largest grain (bytes): VMware uses 64 KiB (hosted) and 4 KiB (seSparse); qemu allows up to 2 MiB... */
  grainBytes: 16 << 20,
  /** Grain-table entries per table (qemu refuses more than 512 for hosted sparse; COWD and seSparse use 4096). */
  gtEntries: 4096,
} as const;
