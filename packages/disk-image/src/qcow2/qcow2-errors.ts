/** Error helpers for the qcow2 layer: messages name the structure, field, expected vs actual and the hex offset. */
import { CorruptError, LimitExceededError, UnsupportedError, type JsonValue } from '@coldfix/io';

export const QCOW2_LAYER = 'qcow2';

export function qcow2Corrupt(code: string, message: string, offset?: number, details: Record<string, JsonValue> = {}): CorruptError {
  return new CorruptError(message, { code, layer: QCOW2_LAYER, offset, details });
}

export function qcow2Limit(code: string, message: string, offset?: number, details: Record<string, JsonValue> = {}): LimitExceededError {
  return new LimitExceededError(message, { code, layer: QCOW2_LAYER, offset, details });
}

export function qcow2Unsupported(code: string, message: string, details: Record<string, JsonValue> = {}): UnsupportedError {
  return new UnsupportedError(message, { code, layer: QCOW2_LAYER, details });
}

export const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
