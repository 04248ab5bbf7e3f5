/**
 * Typed errors of the $LogFile reader (layer `ntfs-logfile`), with the
 * absolute offset inside the $LogFile stream where one is known.
 */
import { CorruptError, LimitExceededError, UnsupportedError, type JsonValue } from '@coldfix/io';

export const LOGFILE_LAYER = 'ntfs-logfile';

export function logCorrupt(code: string, message: string, offset?: number, details?: Record<string, JsonValue>): CorruptError {
  return new CorruptError(`$LogFile: ${message}`, { code, layer: LOGFILE_LAYER, offset, details });
}
export function logLimit(code: string, message: string, offset?: number, details?: Record<string, JsonValue>): LimitExceededError {
  return new LimitExceededError(`$LogFile: ${message}`, { code, layer: LOGFILE_LAYER, offset, details });
}
export function logUnsupported(code: string, message: string, details?: Record<string, JsonValue>): UnsupportedError {
  return new UnsupportedError(`$LogFile: ${message}`, { code, layer: LOGFILE_LAYER, details });
}

/** Caps on sizes and counts read from the journal (bounded allocation and work). */
export const LogLimits = {
  /** Largest $LogFile loaded into memory (Windows caps it at 4 GiB; 64 MiB is the usual default). */
  maxLogFileSize: 1 << 30,
  /** Largest client data of one record (bytes). */
  maxClientDataLength: 1 << 24,
  /** Log clients decoded from a restart area. */
  maxClients: 16,
  /** Largest system or log page (bytes). */
  maxPageSize: 65536,
  /** Entries decoded from one restart table. */
  maxTableEntries: 1 << 16,
};
