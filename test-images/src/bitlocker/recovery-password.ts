/**
 * Recovery passwords: 8 blocks of 6 digits, each a multiple of 11 whose quotient is a
 * 16-bit value; the 8 quotients, little-endian, are the 128-bit recovery key.
 * Reference: libbde "BitLocker Drive Encryption (BDE) format", section "Recovery key".
 * Divisibility by 11 already implies Windows' check digit (the 6th digit is the
 * alternating sum of the first five, mod 11), so a random quotient always gives a valid block.
 */
import { randomBytes } from 'node:crypto';
import { badInput } from './errors.js';

/** A fresh, valid recovery password such as `471207-278498-...-693451`. */
export function generateRecoveryPassword(): string {
  const r = randomBytes(16);
  const blocks: string[] = [];
  for (let i = 0; i < 8; i++) blocks.push(String((r[i * 2] | (r[i * 2 + 1] << 8)) * 11).padStart(6, '0'));
  return blocks.join('-');
}

/**
 * The 16-byte recovery key of a recovery password (dashes optional).
 * Throws `Error` naming the bad block when a block is not a valid multiple of 11 below 720896.
 */
export function recoveryPasswordToKey(password: string): Uint8Array {
  const digits = password.replace(/-/g, '');
  if (!/^\d{48}$/.test(digits)) throw badInput('BLW_RECOVERY_FORMAT', 'recovery password must be 48 digits (8 blocks of 6)');
  const key = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const block = Number(digits.slice(i * 6, i * 6 + 6));
    if (block % 11 !== 0 || block / 11 > 0xffff) throw badInput('BLW_RECOVERY_BLOCK', `recovery password block ${i + 1} is invalid`);
    const q = block / 11;
    key[i * 2] = q & 0xff;
    key[i * 2 + 1] = q >> 8;
  }
  return key;
}
