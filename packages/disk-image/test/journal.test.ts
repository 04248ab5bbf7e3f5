/**
 * Writes through the undo journal (io's journaledFileOpener): a VHD that grows
 * by block allocation is restored exactly by a rollback, and a completed
 * session reads back through qemu-img.
 */
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { journaledFileOpener, rollbackImage, commitImage } from '@coldfix/io';
import { openDiskImage } from '@coldfix/disk-image';
import { cacheDir, ensureFile, makeRawContent, qemuRaw, run, scratchDir, sha256, sha256File } from './helpers.js';

const SIZE = 8 << 20;
const rawPath = ensureFile(join(cacheDir(), 'j-content.raw'), () => makeRawContent(SIZE, 3));
const scratch = scratchDir('journal');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('VHD writes through the undo journal', () => {
  const path = join(scratch, 'j.vhd');
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', rawPath, path]);
  const pristine = join(scratch, 'pristine.vhd');
  copyFileSync(path, pristine);
  const data = new Uint8Array(4096).fill(0x77);

  it('rollback restores the file byte for byte (block appended, BAT changed)', async () => {
    const openFile = journaledFileOpener();
    const image = await openDiskImage(path, { writable: true, openFile });
    await image.write((2 << 20) + 4096, data); // unallocated block: appends
    await image.write(100, data); // allocated block: in place
    await image.close();
    expect(sha256File(path)).not.toBe(sha256File(pristine));
    await rollbackImage(path);
    expect(sha256File(path)).toBe(sha256File(pristine));
  });

  it('a completed session reads back through qemu-img', async () => {
    const openFile = journaledFileOpener();
    const image = await openDiskImage(path, { writable: true, openFile });
    await image.write((2 << 20) + 4096, data);
    for (const file of openFile.opened) await file.complete();
    await image.close();
    await commitImage(path);
    const model = new Uint8Array(readFileSync(rawPath));
    model.set(data, (2 << 20) + 4096);
    expect(sha256(qemuRaw(path))).toBe(sha256(model));
  });
});
