/**
 * Writes through our VHD layer read back identically through qemu-img and
 * libvhdi (and our reader), and leave a structurally sound file.
 */
import { copyFileSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDiskImage } from '@coldfix/disk-image';
import { checkVhdStructure, ensureFile, libvhdiRaw, makeRawContent, qemuRaw, run, scratchDir, sha256, sha256Source, cacheDir } from './helpers.js';

const SIZE = (12 << 20) + 1536;
const dir = cacheDir();
const rawPath = ensureFile(join(dir, 'w-content.raw'), () => makeRawContent(SIZE, 11));
const scratch = scratchDir('writes');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes exercising: allocated block, unallocated block, block straddle, the partial last block, a multi-block write. */
function writes(): Array<[number, Uint8Array]> {
  const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
  return [
    [3, pattern(100, 1)],
    [(2 << 20) + 512, pattern(4096, 2)],
    [(4 << 20) - 100, pattern(200, 3)],
    [SIZE - 700, pattern(700, 4)],
    [(6 << 20) + 5, pattern(5 << 20, 5)],
    [(2 << 20) + 9000, pattern(10, 6)],
  ];
}

for (const subformat of ['dynamic', 'fixed'] as const) {
  describe(`writes into a qemu-made ${subformat} VHD`, () => {
    const path = join(scratch, `${subformat}.vhd`);
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', `subformat=${subformat},force_size=on`, rawPath, path]);
    const model = new Uint8Array(readFileSync(rawPath));
    for (const [at, data] of writes()) model.set(data, at);

    it('writes, then qemu-img, libvhdi and a fresh open all read the model', async () => {
      const image = await openDiskImage(path, { writable: true });
      expect((image as { writable?: boolean }).writable).toBe(true);
      for (const [at, data] of writes()) await image.write(at, data);
      expect(await sha256Source(image)).toBe(sha256(model));
      await image.flush();
      await image.close();

      const reopened = await openDiskImage(path);
      expect(await sha256Source(reopened)).toBe(sha256(model));
      expect(reopened.anomalies).toEqual([]);
      await reopened.close();
      expect(sha256(qemuRaw(path, 'vpc'))).toBe(sha256(model));
      expect(sha256(libvhdiRaw(path))).toBe(sha256(model));
      expect(run('qemu-img', ['info', '-f', 'vpc', path])).toContain(`(${SIZE} bytes)`);
      if (subformat === 'dynamic') expect(checkVhdStructure(path)).toEqual([]);
      else expect(statSync(path).size).toBe(SIZE + 512);
    });
  });
}

describe('read-only opening refuses writes', () => {
  it('throws a typed error and changes nothing', async () => {
    const path = join(scratch, 'ro.vhd');
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', rawPath, path]);
    const before = sha256(readFileSync(path));
    const image = await openDiskImage(path);
    await expect((image as unknown as { write(o: number, d: Uint8Array): Promise<void> }).write(0, new Uint8Array(1))).rejects.toMatchObject({ code: 'READ_ONLY' });
    await image.close();
    expect(sha256(readFileSync(path))).toBe(before);
  });
});

describe('a crash before the BAT update leaves only unreferenced space', () => {
  it('data appended without its BAT entry reads as before', async () => {
    const path = join(scratch, 'crash.vhd');
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', rawPath, path]);
    const original = qemuRaw(path);
    const image = await openDiskImage(path, { writable: true });
    // Simulate the crash: make the BAT write (the last step) fail.
    const file = (image as unknown as { file: { write(o: number, d: Uint8Array): Promise<void> } }).file;
    const realWrite = file.write.bind(file);
    file.write = async (o, d) => {
      if (d.length === 4) throw new Error('simulated crash');
      return realWrite(o, d);
    };
    await expect(image.write((2 << 20) + 512, new Uint8Array(512).fill(7))).rejects.toThrow('simulated crash');
    await image.close();
    expect(sha256(qemuRaw(path))).toBe(sha256(original));
    expect(checkVhdStructure(path)).toEqual([]);
    const reopened = await openDiskImage(path);
    expect(await sha256Source(reopened)).toBe(sha256(original));
    await reopened.close();
  });
});
