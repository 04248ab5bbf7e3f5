/** Error helpers for the VHDX layer: messages name the structure, field, expected vs actual and the hex offset. */
import { CorruptError, LimitExceededError, UnsupportedError, type JsonValue } from '@coldfix/io';

export const VHDX_LAYER = 'vhdx';

export function vhdxCorrupt(code: string, message: string, offset?: number, details: Record<string, JsonValue> = {}): CorruptError {
  return new CorruptError(message, { code, layer: VHDX_LAYER, offset, details });
}

export function vhdxUnsupported(code: string, message: string, offset?: number, details: Record<string, JsonValue> = {}): UnsupportedError {
  return new UnsupportedError(message, { code, layer: VHDX_LAYER, offset, details });
}

export function vhdxLimit(code: string, message: string, offset?: number, details: Record<string, JsonValue> = {}): LimitExceededError {
  return new LimitExceededError(message, { code, layer: VHDX_LAYER, offset, details });
}

export const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
