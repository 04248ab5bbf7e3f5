/**
 * Recovery password → 16-byte recovery key.
 *
 * libbde format doc §"Recovery password": 48 digits in 8 blocks of 6; each
 * block is a multiple of 11 whose quotient fits 16 bits; the quotients, as
 * little-endian u16, form the key. The last digit of each block is a check
 * digit: (d0 − d1 + d2 − d3 + d4) mod 11 (mod 11 giving 0…9 or 10; Windows
 * only issues blocks whose check value is a digit, which is why every block
 * is divisible by 11).
 */
import { CorruptError } from '@coldfix/io';

/**
 * Parses a recovery password. Dashes, spaces and surrounding whitespace are
 * optional. Throws CorruptError (code BITLOCKER_RECOVERY_PASSWORD_FORMAT or
 * BITLOCKER_RECOVERY_PASSWORD_BLOCK, `details.block` 1-8) that never echoes digits.
 */
export function parseRecoveryPassword(text: string): Uint8Array {
  const digits = text.replace(/[\s-]/g, '');
  if (!/^[0-9]{48}$/.test(digits)) {
    throw new CorruptError(`recovery password must be 48 digits (8 blocks of 6); got ${digits.length} characters${/[^0-9]/.test(digits) ? ' with non-digits' : ''}`, {
      code: 'BITLOCKER_RECOVERY_PASSWORD_FORMAT',
      layer: 'bitlocker',
      details: { length: digits.length },
    });
  }
  const key = new Uint8Array(16);
  for (let block = 0; block < 8; block++) {
    const text6 = digits.slice(block * 6, block * 6 + 6);
    const value = Number(text6);
    const d = Array.from(text6, (ch) => ch.charCodeAt(0) - 48);
    const check = (((d[0] - d[1] + d[2] - d[3] + d[4]) % 11) + 11) % 11;
    let reason: string | undefined;
    if (value % 11 !== 0) reason = 'is not divisible by 11';
    else if (value / 11 >= 0x10000) reason = 'is too large (its quotient by 11 must fit 16 bits)';
    else if (check !== d[5]) reason = 'has a wrong check digit';
    if (reason) {
      throw new CorruptError(`recovery password block ${block + 1} ${reason} (typo?)`, {
        code: 'BITLOCKER_RECOVERY_PASSWORD_BLOCK',
        layer: 'bitlocker',
        details: { block: block + 1 },
      });
    }
    const quotient = value / 11;
    key[block * 2] = quotient & 0xff;
    key[block * 2 + 1] = quotient >>> 8;
  }
  return key;
}

/** True if `text` looks like a recovery password (48 digits once dashes/spaces are removed). */
export function looksLikeRecoveryPassword(text: string): boolean {
  return /^[0-9]{48}$/.test(text.replace(/[\s-]/g, ''));
}
