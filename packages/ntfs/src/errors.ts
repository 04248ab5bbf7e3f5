/**
 * NTFS error helpers: every structural problem becomes a typed error from
 * `@coldfix/io` with layer `ntfs`, a stable code and the absolute volume offset
 * when one is known.
 */
import { CorruptError, LimitExceededError, UnsupportedError, NotFoundError, type JsonValue } from '@coldfix/io';

export const LAYER = 'ntfs';

export function corrupt(code: string, message: string, offset?: number, details?: Record<string, JsonValue>): CorruptError {
  return new CorruptError(`NTFS: ${message}`, { code, layer: LAYER, offset, details });
}

export function limit(code: string, message: string, offset?: number, details?: Record<string, JsonValue>): LimitExceededError {
  return new LimitExceededError(`NTFS: ${message}`, { code, layer: LAYER, offset, details });
}

export function unsupported(code: string, message: string, details?: Record<string, JsonValue>): UnsupportedError {
  return new UnsupportedError(`NTFS: ${message}`, { code, layer: LAYER, details });
}

export function notFound(code: string, message: string, details?: Record<string, JsonValue>): NotFoundError {
  return new NotFoundError(`NTFS: ${message}`, { code, layer: LAYER, details });
}

/** Caps on sizes read from disk (bounded allocation). */
export const Limits = {
  /** Largest MFT record or index block we accept (bytes). */
  maxRecordSize: 64 * 1024,
  /** Largest resident attribute list / non-resident one we load (bytes). */
  maxAttributeListSize: 16 << 20,
  /** Extension records followed from one attribute list. */
  maxExtensionRecords: 4096,
  /** Deepest $I30 B+ tree we descend. */
  maxIndexDepth: 64,
  /** Deepest directory nesting walked. */
  maxPathDepth: 1024,
  /** Runs decoded from one mapping-pairs array. */
  maxRuns: 1 << 20,
  /** MFT records above which list() runs over walk() (its record table costs ~52 bytes a record). */
  maxListRecords: 8 << 20,
  /** Largest $UpCase table (65536 UTF-16 units). */
  upcaseUnits: 65536,
} as const;
