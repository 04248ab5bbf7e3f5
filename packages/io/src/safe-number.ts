import { LimitExceededError } from './errors.js';

/**
 * Converts a 64-bit on-disk value to a `number`, throwing above 2^53 so that
 * no offset or size silently loses precision.
 */
export function toSafeNumber(value: bigint, field: string, layer = 'io', offset?: number): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new LimitExceededError(`${field} = ${value} is outside the safe integer range`, {
      code: 'VALUE_NOT_SAFE_INTEGER',
      layer,
      offset,
      details: { field, value: value.toString() },
    });
  }
  return Number(value);
}
