/** Runs the ByteSource contract suite over every source in packages/io. */
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  CachedSource,
  ConcatSource,
  DryRunOverlay,
  FileSource,
  JournaledFile,
  MemorySource,
  RangeSource,
  WritableFileSource,
} from '../src/index.js';
import { runSourceContract } from './source-contract.js';

const random = (size: number) => new Uint8Array(randomBytes(size));

async function tempFile(bytes: Uint8Array): Promise<{ dir: string; path: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'coldfix-contract-'));
  const path = join(dir, 'image.raw');
  await writeFile(path, bytes);
  return { dir, path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

runSourceContract('MemorySource', async () => {
  const expected = random(20_000 + 333);
  return { source: new MemorySource(expected.slice()), expected };
});

runSourceContract('MemorySource (empty)', async () => ({ source: new MemorySource(new Uint8Array(0)), expected: new Uint8Array(0) }));

runSourceContract('FileSource', async () => {
  const expected = random(70_001);
  const file = await tempFile(expected);
  return { source: await FileSource.open(file.path), expected, cleanup: file.cleanup };
});

runSourceContract('WritableFileSource', async () => {
  const expected = random(30_000);
  const file = await tempFile(expected);
  return { source: await WritableFileSource.openWritable(file.path), expected, cleanup: file.cleanup };
});

runSourceContract('RangeSource', async () => {
  const parent = random(50_000);
  const start = 1234;
  const size = 40_000;
  return { source: new RangeSource(new MemorySource(parent), start, size, 'partition'), expected: parent.slice(start, start + size) };
});

runSourceContract('ConcatSource', async () => {
  const parts = [random(5000), new Uint8Array(0), random(1), random(12_345), random(512)];
  const expected = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    expected.set(part, at);
    at += part.length;
  }
  return { source: new ConcatSource(parts.map((p) => new MemorySource(p.slice()))), expected };
});

runSourceContract('CachedSource (small cache, evicting)', async () => {
  const expected = random(64 * 1024 + 100);
  return { source: new CachedSource(new MemorySource(expected.slice()), { cacheBlockSize: 1024, maxBytes: 8 * 1024 }), expected };
});

runSourceContract('CachedSource over a file', async () => {
  const expected = random(40_000);
  const file = await tempFile(expected);
  return { source: new CachedSource(await WritableFileSource.openWritable(file.path), { cacheBlockSize: 4096, maxBytes: 64 * 1024 }), expected, cleanup: file.cleanup };
});

runSourceContract('JournaledFile', async () => {
  const expected = random(45_000 + 17);
  const file = await tempFile(expected);
  return { source: await JournaledFile.open(file.path), expected, cleanup: file.cleanup };
});

runSourceContract('DryRunOverlay over a read-only file', async () => {
  const expected = random(33_333);
  const file = await tempFile(expected);
  const base = await FileSource.open(file.path);
  // The overlay does not own its base: close the file too.
  return { source: new DryRunOverlay(base, { maxBytes: 1 << 20 }), expected, cleanup: async () => { await base.close(); await file.cleanup(); } };
});

runSourceContract('DryRunOverlay over memory, 512-byte pages', async () => {
  const expected = random(10_000);
  return { source: new DryRunOverlay(new MemorySource(expected.slice()), { pageSize: 512 }), expected };
});

describe('FileSource.readIntoSync', () => {
  it('is offered by a regular file (the listing reads its $MFT with it) and stops at a file that shrank', async () => {
    const expected = random(8192);
    const file = await tempFile(expected);
    const source = await FileSource.open(file.path);
    try {
      expect(typeof source.readIntoSync).toBe('function');
      await writeFile(file.path, expected.subarray(0, 4096));
      expect(() => source.readIntoSync!(4000, new Uint8Array(200))).toThrow(expect.objectContaining({ code: 'IO_SHORT_READ', offset: 4096 }));
    } finally {
      await source.close();
      await file.cleanup();
    }
  });
});
