import { describe, expect, it } from 'vitest';
import { DirectoryAttributeStore } from './directory-attributes.js';

describe('DirectoryAttributeStore', () => {
  const record = (seed: number): Uint8Array => Uint8Array.from({ length: 1024 }, (_, i) => (i * 31 + seed) & 0xff);

  it('keeps the three attribute ranges one after the other, hands each copy out once, and stops at maxBytes', () => {
    const store = new DirectoryAttributeStore(300);
    const b = record(1);
    store.keep(7, b, 56, 100, 200, 80, 400, 0);
    expect(store.take(7)).toEqual(Uint8Array.from([...b.subarray(56, 156), ...b.subarray(200, 280)]));
    expect(store.take(7)).toBeUndefined();
    store.keep(8, b, 0, 100, 0, 0, 0, 0); // 180 + 100: within 300
    store.keep(9, b, 0, 100, 0, 0, 0, 0); // 280 + 100: past 300, not kept
    expect(store.take(8)).toEqual(b.subarray(0, 100));
    expect(store.take(9)).toBeUndefined();
  });

  it('export() moves the copies out and adopt() takes them in (as a scan worker and the listing do)', () => {
    const worker = new DirectoryAttributeStore();
    const a = record(2);
    const b = record(3);
    worker.keep(20, a, 0, 64, 64, 72, 0, 0);
    worker.keep(21, b, 128, 48, 0, 0, 512, 40);
    const copies = worker.export();
    expect(copies.records).toEqual([20, 21]);
    expect(worker.take(20)).toBeUndefined();
    const listing = new DirectoryAttributeStore(200);
    listing.adopt(copies);
    expect(listing.take(20)).toEqual(a.subarray(0, 136));
    // 136 adopted: the second (88 bytes) passes the 200-byte cap and is dropped.
    expect(listing.take(21)).toBeUndefined();
    const roomy = new DirectoryAttributeStore();
    roomy.adopt(copies);
    expect(roomy.take(21)).toEqual(Uint8Array.from([...b.subarray(128, 176), ...b.subarray(512, 552)]));
  });
});
