/**
 * Writes into VHDX files: qemu-made dynamic and fixed files and our writer's
 * AVHDX children. Afterwards `qemu-img check` passes, `qemu-img compare`
 * against the expected raw image (the original content with exactly our
 * writes applied) says identical, the DataWriteGuid changed through the header
 * update protocol, no log is left pending, libvhdi reads a written AVHDX the
 * same as the model, a writable open replays a pending log into the file, and
 * a rollback of the undo journal restores the file byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { journaledFileOpener, rollbackImage } from '@coldfix/io';
import { openDiskImage, VhdxImage } from '@coldfix/disk-image';
import { readVhdxDataWriteGuid, writeVhdx } from '@coldfix/test-images';
import { libvhdiRaw, makeRawContent, run, scratchDir, sha256, sha256File, sha256Source } from './helpers.js';
import { makePendingLogVhdx, missing, qemuRawDigest } from './vhdx-helpers.js';

const MIB = 1 << 20;
const SIZE = 20 * MIB;
const noQemu = missing('qemu-img', 'qemu-io');
const scratch = scratchDir('vhdx-write');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// In an allocated block, in a block qemu left ZERO/not present, straddling two blocks, a whole block at the end, sector 0.
const WRITES: Array<[number, number, number]> = [
  [4096, 0x11, 8192],
  [5 * MIB, 0x22, 4096],
  [8 * MIB - 512, 0x33, 1024],
  [19 * MIB, 0x44, MIB],
  [0, 0x55, 512],
];

function source(dir: string): { raw: string; model: Uint8Array } {
  const model = makeRawContent(SIZE, 17);
  model.fill(0, 4 * MIB, 12 * MIB);
  const raw = join(dir, 'content.raw');
  writeFileSync(raw, model);
  return { raw, model };
}

async function applyWrites(path: string, model: Uint8Array, openFile?: ReturnType<typeof journaledFileOpener>): Promise<void> {
  const image = (await openDiskImage(path, { writable: true, ...(openFile ? { openFile } : {}) })) as VhdxImage;
  try {
    for (const [offset, value, length] of WRITES) {
      const data = new Uint8Array(length).fill(value);
      await image.write(offset, data);
      model.set(data, offset);
    }
    await image.flush();
  } finally {
    await image.close();
  }
}

function qemuCheck(path: string): number {
  try {
    execFileSync('qemu-img', ['check', '-f', 'vhdx', path], { stdio: 'pipe' });
    return 0;
  } catch (error) {
    return (error as { status: number }).status;
  }
}

function qemuCompare(path: string, raw: string): string {
  return execFileSync('qemu-img', ['compare', '-f', 'vhdx', '-F', 'raw', path, raw], { encoding: 'utf8' });
}

describe.skipIf((noQemu) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('writes into VHDX (skipped without qemu-img/qemu-io)', () => {
  for (const subformat of ['dynamic', 'fixed'] as const) {
    it(`${subformat} (qemu-made, 1 MiB blocks): qemu-img check clean, compare identical to the intended change, new DataWriteGuid`, { timeout: 120_000 }, async () => {
      const dir = scratchDir('vhdx-w');
      try {
        const { raw, model } = source(dir);
        const path = join(dir, 'disk.vhdx');
        run('qemu-img', ['convert', '-f', 'raw', '-O', 'vhdx', '-o', `subformat=${subformat},block_size=1M`, raw, path]);
        const before = readVhdxDataWriteGuid(path);
        await applyWrites(path, model);
        writeFileSync(raw, model);
        expect(qemuCheck(path)).toBe(0);
        expect(qemuCompare(path, raw)).toMatch(/Images are identical/);
        expect(readVhdxDataWriteGuid(path)).not.toBe(before);
        // No log is left pending: qemu opens it read-only, and so do we without a replay.
        execFileSync('qemu-img', ['info', path], { stdio: 'pipe' });
        const image = (await openDiskImage(path)) as VhdxImage;
        expect(image.chain[0].logState).toBe('clean');
        expect(await sha256Source(image)).toBe(sha256(model));
        await image.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it.skipIf((missing('vhdimount')) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('an AVHDX child (our writer) over a qemu base: writes land in the child only; libvhdi reads the model', { timeout: 120_000 }, async () => {
    const dir = scratchDir('vhdx-wc');
    try {
      const { raw, model } = source(dir);
      const base = join(dir, 'base.vhdx');
      run('qemu-img', ['convert', '-f', 'raw', '-O', 'vhdx', '-o', 'subformat=dynamic,block_size=1M', raw, base]);
      const baseHash = sha256File(base);
      const child = join(dir, 'child.avhdx');
      const partial = new Uint8Array(4096).fill(0x66);
      writeVhdx(child, { virtualSize: SIZE, parent: { dataWriteGuid: readVhdxDataWriteGuid(base), relativePath: '.\\base.vhdx', absoluteWin32Path: 'C:\\Hyper-V\\base.vhdx' }, writes: [[2 * MIB + 512, partial]] });
      model.set(partial, 2 * MIB + 512);
      await applyWrites(child, model);
      expect(sha256File(base)).toBe(baseHash);
      expect(sha256(libvhdiRaw(child))).toBe(sha256(model));
      const image = await openDiskImage(child);
      expect(await sha256Source(image)).toBe(sha256(model));
      await image.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a writable open replays a pending log into the file: qemu then opens it read-only and reads what check -r all gives', { timeout: 120_000 }, async () => {
    const dir = scratchDir('vhdx-wlog');
    try {
      const path = makePendingLogVhdx(dir);
      const copy = join(dir, 'qemu-replayed.vhdx');
      copyFileSync(path, copy);
      run('qemu-img', ['check', '-r', 'all', copy]);
      const expected = qemuRawDigest(copy);
      const image = (await openDiskImage(path, { writable: true })) as VhdxImage;
      expect(image.chain[0].logState).toBe('replayed-into-file');
      await image.close();
      execFileSync('qemu-img', ['info', path], { stdio: 'pipe' });
      expect(qemuCheck(path)).toBe(0);
      expect(qemuRawDigest(path)).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('through the undo journal: a rollback restores the file byte for byte', { timeout: 120_000 }, async () => {
    const dir = scratchDir('vhdx-wj');
    try {
      const { raw, model } = source(dir);
      const path = join(dir, 'disk.vhdx');
      run('qemu-img', ['convert', '-f', 'raw', '-O', 'vhdx', '-o', 'subformat=dynamic,block_size=1M', raw, path]);
      const pristine = sha256File(path);
      await applyWrites(path, model, journaledFileOpener());
      expect(sha256File(path)).not.toBe(pristine);
      await rollbackImage(path);
      expect(sha256File(path)).toBe(pristine);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
