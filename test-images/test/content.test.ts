import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { forEachLimit, Prng, randomBytes, sha256, textBytes } from '../src/util/content.js';

describe('content helpers', () => {
  it('randomBytes is deterministic per seed and differs across seeds', () => {
    expect(sha256(randomBytes(1000, 'a'))).toBe(sha256(randomBytes(1000, 'a')));
    expect(sha256(randomBytes(1000, 'a'))).not.toBe(sha256(randomBytes(1000, 'b')));
    expect(randomBytes(3, 1).length).toBe(3);
  });

  it('sha256 matches node:crypto and textBytes repeats the phrase', () => {
    const t = textBytes(10, 'abc');
    expect(Buffer.from(t).toString()).toBe('abcabcabca');
    expect(sha256(t)).toBe(createHash('sha256').update('abcabcabca').digest('hex'));
  });

  it('Prng.int stays in range', () => {
    const p = new Prng(7);
    for (let i = 0; i < 1000; i++) {
      const v = p.int(3, 9);
      expect(v).toBeGreaterThanOrEqual(3);
      expect(v).toBeLessThanOrEqual(9);
    }
  });

  it('forEachLimit visits every item with at most `limit` in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachLimit([...Array(50).keys()], 4, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      seen.push(i);
      inFlight--;
    });
    expect(peak).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
  });
});
