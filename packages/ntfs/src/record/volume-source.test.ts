import { describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySource } from '@coldfix/io';
import { NtfsVolume } from '../volume.js';
import { recordStoreOf, sourceOf, type VolumeInput } from './volume-source.js';

describe('sourceOf / recordStoreOf: what the write side is given', () => {
  const device = new MemorySource(new Uint8Array(4096));

  it('a ByteSource is its own device; an NtfsVolume-like object gives its source', () => {
    expect(sourceOf(device)).toBe(device);
    expect(sourceOf({ source: device })).toBe(device);
  });

  it('anything else is refused with NTFS_WRITE_BAD_VOLUME, by both', async () => {
    for (const bad of [{}, { source: {} }, { upcase: async () => ({ table: new Uint16Array(0) }) }]) {
      expect(() => sourceOf(bad as unknown as VolumeInput)).toThrow(expect.objectContaining({ code: 'NTFS_WRITE_BAD_VOLUME' }));
      await expect(recordStoreOf(bad as unknown as VolumeInput)).rejects.toMatchObject({ code: 'NTFS_WRITE_BAD_VOLUME' });
    }
  });

  it('an NtfsVolume lends its decoded $UpCase to the RecordStore; a bare ByteSource does not (mkntfs volume)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coldfix-vsrc-'));
    try {
      const image = join(dir, 'v.img');
      execFileSync('truncate', ['-s', '4M', image]);
      execFileSync('mkntfs', ['-F', '-Q', '-q', image]);
      const bytes = new MemorySource(new Uint8Array(readFileSync(image)));
      const reader = await NtfsVolume.open(bytes);
      const lend = vi.spyOn(reader, 'upcase');
      const shared = await recordStoreOf(reader);
      const own = await recordStoreOf(bytes);
      const [a, b] = [await shared.upcase(), await own.upcase()];
      expect(lend).toHaveBeenCalledTimes(1);
      expect(a).toEqual(b);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
