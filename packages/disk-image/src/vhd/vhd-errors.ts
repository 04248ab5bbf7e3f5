/** Error helpers for the VHD layer: messages name the structure, field, expected vs actual and the hex offset. */
import { CorruptError, LimitExceededError, type JsonValue } from '@coldfix/io';

export const VHD_LAYER = 'vhd';

export function vhdCorrupt(code: string, message: string, offset?: number, details: Record<string, JsonValue> = {}): CorruptError {
  return new CorruptError(message, { code, layer: VHD_LAYER, offset, details });
}

export function vhdLimit(code: string, message: string, offset?: number, details: Record<string, JsonValue> = {}): LimitExceededError {
  return new LimitExceededError(message, { code, layer: VHD_LAYER, offset, details });
}

export const hex = (n: number): string => `0x${n.toString(16)}`;
