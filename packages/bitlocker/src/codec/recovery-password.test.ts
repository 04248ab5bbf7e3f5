import { describe, expect, it } from 'vitest';
import { CorruptError } from '@coldfix/io';
import { looksLikeRecoveryPassword, parseRecoveryPassword } from './recovery-password.js';
import { recoveryKeyInitialHash, stretchKey } from './stretch.js';
import { createDecipheriv } from 'node:crypto';

describe('parseRecoveryPassword', () => {
  it('gives the key that opens the VMK Windows wrapped for this recovery password (dissect.fve recovery_password volume)', () => {
    // Independent of our formula: the recovery-password VMK entry Windows wrote (block at 0x21F0000: salt at
    // +0x114, AES-CCM nonce/tag/ciphertext at +0x1B4, as dislocker-metadata prints them). Only the right
    // 16-byte key, stretched (stretch.test.ts holds the stretch equal to OpenSSL), passes the AES-CCM tag.
    const key = parseRecoveryPassword('284867-596541-514998-422114-660297-261613-215424-199408');
    expect(key.length).toBe(16);
    const salt = Buffer.from('6a762f0a5eafb9f72f1445f1351d0406', 'hex');
    const nonce = Buffer.from('70acc2ac6fbcd70104000000', 'hex');
    const tag = Buffer.from('6df94c53c145321fd7135a4446f4306f', 'hex');
    const ciphertext = Buffer.from('367aa7cad543b3e03d7ede543655932f52f9967f170e82c3f27d680cc76ceab5ddfe005d40d33b4482284344', 'hex');
    const unwrap = (k: Uint8Array) => {
      const d = createDecipheriv('aes-256-ccm', stretchKey(recoveryKeyInitialHash(k), salt), nonce, { authTagLength: 16 });
      d.setAuthTag(tag);
      return Buffer.concat([d.update(ciphertext), d.final()]);
    };
    // A key entry: size 0x2c, type 0, value type 1 (key), version 0, method 0x2003, then the 32-byte VMK.
    expect(unwrap(key).subarray(0, 12).toString('hex')).toBe('2c0000000100000003200000');
    // One bit off and the tag fails: the check can fail.
    const wrong = Uint8Array.from(key);
    wrong[0] ^= 1;
    expect(() => unwrap(wrong)).toThrow();
  });

  it('accepts missing dashes, spaces and surrounding whitespace', () => {
    const a = parseRecoveryPassword('517506-503998-044583-576191-587004-635965-501270-087802');
    expect(parseRecoveryPassword(' 517506503998044583576191587004635965501270087802\n')).toEqual(a);
    expect(parseRecoveryPassword('517506 503998 044583 576191 587004 635965 501270 087802')).toEqual(a);
  });

  it('names the bad block for a typo, a non-multiple of 11, an oversized block; never echoes digits', () => {
    const cases: [string, number][] = [
      ['284867-596541-514998-422114-660297-261613-215424-199409', 8], // not divisible by 11 (typo in the last digit)
      ['284867-596542-514998-422114-660297-261613-215424-199408', 2],
      ['999999-596541-514998-422114-660297-261613-215424-199408', 1], // 999999 = 11 × 90909: quotient ≥ 65536
    ];
    for (const [text, block] of cases) {
      const error = (() => { try { parseRecoveryPassword(text); } catch (e) { return e as CorruptError; } return undefined; })();
      expect(error).toBeInstanceOf(CorruptError);
      expect(error!.details.block).toBe(block);
      expect(error!.message).toContain(`block ${block}`);
      expect(error!.message).not.toMatch(/\d{3}/);
    }
  });

  it('the check digit (d0−d1+d2−d3+d4 mod 11) holds exactly for the multiples of 11 (alternating digit sum)', () => {
    let mismatches = 0;
    for (let v = 0; v < 1_000_000; v++) {
      const d = [100000, 10000, 1000, 100, 10, 1].map((p) => Math.floor(v / p) % 10);
      if (((((d[0] - d[1] + d[2] - d[3] + d[4]) % 11) + 11) % 11 === d[5]) !== (v % 11 === 0)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('rejects wrong lengths and non-digits with a format error', () => {
    for (const bad of ['', '12345', '284867-596541-514998-422114-660297-261613-215424', '28486x-596541-514998-422114-660297-261613-215424-199408']) {
      expect(() => parseRecoveryPassword(bad)).toThrow(expect.objectContaining({ code: 'BITLOCKER_RECOVERY_PASSWORD_FORMAT' }));
    }
    expect(looksLikeRecoveryPassword('284867-596541-514998-422114-660297-261613-215424-199408')).toBe(true);
    expect(looksLikeRecoveryPassword('password12!@')).toBe(false);
  });
});
