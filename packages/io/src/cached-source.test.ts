import { describe, expect, it } from 'vitest';
import { CachedSource } from './cached-source.js';
import { MemorySource } from './memory-source.js';

/** A MemorySource whose reads take their bytes at once but answer only when released, counting them. */
class SlowSource extends MemorySource {
  reads = 0;
  private gates: (() => void)[] = [];
  override async read(offset: number, length: number): Promise<Uint8Array> {
    this.reads++;
    // The bytes as they were when the read started (a write after it is not seen).
    const data = await super.read(offset, length);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    return data;
  }
  release(): void {
    for (const open of this.gates.splice(0)) open();
  }
}

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);

describe('CachedSource with concurrent readers', () => {
  it('reads a block once when two readers miss it at the same time', async () => {
    const parent = new SlowSource(bytes(8192));
    const cache = new CachedSource(parent, { cacheBlockSize: 1024, maxBytes: 8192 });
    const a = cache.read(100, 50);
    const b = cache.read(900, 200); // blocks 0 (in flight) and 1 (new)
    await new Promise((resolve) => setImmediate(resolve));
    parent.release();
    await new Promise((resolve) => setImmediate(resolve));
    parent.release();
    expect(await a).toEqual(bytes(8192).subarray(100, 150));
    expect(await b).toEqual(bytes(8192).subarray(900, 1100));
    expect(parent.reads).toBe(2);
  });

  it('does not cache what a read got when a write landed while it was in flight', async () => {
    const parent = new SlowSource(bytes(4096));
    const cache = new CachedSource(parent, { cacheBlockSize: 1024, maxBytes: 4096 });
    const stale = cache.read(0, 16);
    await new Promise((resolve) => setImmediate(resolve));
    await cache.write(0, new Uint8Array(16).fill(0xee));
    parent.release();
    await stale;
    const again = cache.read(0, 16);
    await new Promise((resolve) => setImmediate(resolve));
    parent.release();
    expect(await again).toEqual(new Uint8Array(16).fill(0xee));
  });

  it('a read issued after a write completed does not share a read that was in flight before it', async () => {
    const parent = new SlowSource(bytes(4096));
    const cache = new CachedSource(parent, { cacheBlockSize: 1024, maxBytes: 4096 });
    const before = cache.read(0, 16); // in flight, holding the old bytes
    await new Promise((resolve) => setImmediate(resolve));
    await cache.write(0, new Uint8Array(16).fill(0xee));
    const after = cache.read(0, 16); // the write has completed: must see it
    await new Promise((resolve) => setImmediate(resolve));
    parent.release();
    await new Promise((resolve) => setImmediate(resolve));
    parent.release();
    expect(await before).toEqual(bytes(4096).subarray(0, 16));
    expect(await after).toEqual(new Uint8Array(16).fill(0xee));
  });
});
