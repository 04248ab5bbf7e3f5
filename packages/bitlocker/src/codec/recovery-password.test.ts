import { describe, expect, it } from 'vitest';
import { CorruptError } from '@coldfix/io';
import { looksLikeRecoveryPassword, parseRecoveryPassword } from './recovery-password.js';

describe('parseRecoveryPassword', () => {
  it('turns each block /11 into a little-endian u16 (libbde vector from the dissect.fve recovery_password volume)', () => {
    const key = parseRecoveryPassword('284867-596541-514998-422114-660297-261613-215424-199408');
    // 284867/11 = 25897 = 0x6529, 596541/11 = 54231 = 0xd3d7, …
    expect(Buffer.from(key).toString('hex')).toBe(
      [284867, 596541, 514998, 422114, 660297, 261613, 215424, 199408]
        .map((b) => { const q = b / 11; return (q & 0xff).toString(16).padStart(2, '0') + (q >> 8).toString(16).padStart(2, '0'); })
        .join(''),
    );
    expect(key[0]).toBe(0x29);
    expect(key[1]).toBe(0x65);
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
