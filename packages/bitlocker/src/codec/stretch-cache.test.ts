import { describe, expect, it } from 'vitest';
import { stretchKey } from './stretch.js';
import { stretchKeyCached } from './stretch-cache.js';

describe('stretchKeyCached', () => {
  it('returns the stretch, then copies of the memoised key', () => {
    const initial = new Uint8Array(32).fill(7);
    const salt = new Uint8Array(16).fill(3);
    const first = stretchKeyCached(initial, salt);
    expect(Buffer.from(first).equals(Buffer.from(stretchKey(initial, salt)))).toBe(true);
    const second = stretchKeyCached(initial, salt);
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
    second.fill(0); // callers get copies: clearing one must not poison the memo
    expect(Buffer.from(stretchKeyCached(initial, salt)).equals(Buffer.from(first))).toBe(true);
    const otherSalt = new Uint8Array(16).fill(4);
    expect(Buffer.from(stretchKeyCached(initial, otherSalt)).equals(Buffer.from(first))).toBe(false);
  });
});
