/**
 * qcow2 writes (top image only): after our writes `qemu-img check` exits 0 (no
 * leaks, no errors), `qemu-img compare` against the pristine virtual disk with
 * exactly our writes applied finds them identical, and backing files are
 * byte-identical to before. Dirty images and images with snapshots are refused;
 * writes through the undo journal roll back byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journaledFileOpener, rollbackImage } from '@coldfix/io';
import { openDiskImage, type Qcow2Image } from '@coldfix/disk-image';
import { makeRawContent, qemuRaw, run, scratchDir, sha256, sha256File } from './helpers.js';
import { hasTool, qemuIo, skipWithout } from './qcow2-helpers.js';

const skip = skipWithout(hasTool('qemu-img') && hasTool('qemu-io'));
const SIZE = 8 << 20;
let dir = '';
const img = (name: string) => join(dir, name);

/** Writes that hit every case: in place, partial clusters, a cluster boundary, several clusters, the last bytes. */
function writes(): Array<[number, Uint8Array]> {
  const fill = (n: number, v: number) => new Uint8Array(n).map((_, i) => (v + i * 7) & 0xff);
  return [
    [0, fill(512, 0x11)],
    [3 * 65536 + 100, fill(5000, 0x22)],
    [(2 << 20) - 10, fill(20, 0x33)],
    [(5 << 20) + 4096, fill(70 << 10, 0x44)],
    [(3 << 20) + 1, fill(1, 0x55)],
    [SIZE - 1000, fill(1000, 0x66)],
  ];
}

function check(path: string): void {
  // Exit 0 only when there are neither errors nor leaks (2: corruption, 3: leaks): execFileSync throws otherwise.
  execFileSync('qemu-img', ['check', '-f', 'qcow2', path], { stdio: 'pipe' });
}

/** `kind`: a run kind some write must land on (so the case really exercises it). */
async function writeAndVerify(name: string, kind: 'data' | 'compressed' | 'unallocated', backing?: string): Promise<void> {
  const path = img(name);
  const before = (await openDiskImage(path)) as Qcow2Image;
  const kinds = new Set<string>();
  for (const [offset, data] of writes()) for (const run of await before.plan(offset, data.length)) kinds.add(run.kind);
  await before.close();
  expect([...kinds]).toContain(kind);
  const model = qemuRaw(path);
  const backingSha = backing ? sha256File(backing) : '';
  const image = await openDiskImage(path, { writable: true });
  for (const [offset, data] of writes()) {
    await image.write(offset, data);
    model.set(data, offset);
  }
  // Read back through the same (cached) image before closing.
  expect(sha256(await image.read(0, SIZE))).toBe(sha256(model));
  await image.close();
  check(path);
  writeFileSync(img(`${name}.expected.raw`), model);
  execFileSync('qemu-img', ['compare', '-f', 'qcow2', '-F', 'raw', path, img(`${name}.expected.raw`)], { stdio: 'pipe' });
  if (backing) expect(sha256File(backing)).toBe(backingSha);
}

describe.skipIf((skip) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')(`qcow2 writes${skip ? ' (skipped: qemu-img/qemu-io missing)' : ''}`, () => {
  beforeAll(() => {
    dir = scratchDir('qcow2-writes');
    writeFileSync(img('content.raw'), makeRawContent(SIZE, 11));
    const convert = (out: string, opts: string[]) => run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', ...opts, img('content.raw'), img(out)]);
    convert('v3.qcow2', []);
    convert('v2.qcow2', ['-o', 'compat=0.10']);
    convert('zlib.qcow2', ['-c']);
    convert('lazy.qcow2', ['-o', 'lazy_refcounts=on']);
    convert('base.qcow2', []);
    run('qemu-img', ['create', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', img('overlay.qcow2')]);
    run('qemu-img', ['create', '-f', 'qcow2', img('empty.qcow2'), String(SIZE)]);
    run('qemu-img', ['create', '-f', 'qcow2', '-o', 'compat=0.10', '-b', 'content.raw', '-F', 'raw', img('v2-over-raw.qcow2')]);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('standalone v3 (in place): qemu-img check 0, compare identical', () => writeAndVerify('v3.qcow2', 'data'), 120_000);
  it('standalone v2 (compat 0.10)', () => writeAndVerify('v2.qcow2', 'data'), 120_000);
  it('zlib-compressed (copy-on-write from compressed clusters, their refcounts released)', () => writeAndVerify('zlib.qcow2', 'compressed'), 120_000);
  it('lazy refcounts image (not dirty)', () => writeAndVerify('lazy.qcow2', 'data'), 120_000);
  it('empty overlay over a qcow2 base (new L2 tables, copy-on-write from the backing file); base unchanged', () => writeAndVerify('overlay.qcow2', 'unallocated', img('base.qcow2')), 120_000);
  it('empty image without backing (zeros copied)', () => writeAndVerify('empty.qcow2', 'unallocated'), 120_000);
  it('v2 overlay over a raw backing file; raw unchanged', () => writeAndVerify('v2-over-raw.qcow2', 'unallocated', img('content.raw')), 120_000);

  it('refuses a dirty image (PreconditionError) and an image with snapshots (UnsupportedError), writing nothing', async () => {
    run('qemu-img', ['create', '-f', 'qcow2', '-o', 'lazy_refcounts=on', img('dirty.qcow2'), '8M']);
    try {
      qemuIo(img('dirty.qcow2'), ['write -P 0xa5 0 4k', 'sigraise 9']);
    } catch {
      // qemu-io dies of SIGKILL by design.
    }
    const dirtySha = sha256File(img('dirty.qcow2'));
    const dirty = await openDiskImage(img('dirty.qcow2'), { writable: true });
    await expect(dirty.write(0, new Uint8Array(512))).rejects.toMatchObject({ kind: 'precondition', code: 'QCOW2_DIRTY' });
    await dirty.close();
    expect(sha256File(img('dirty.qcow2'))).toBe(dirtySha);
    copyFileSync(img('base.qcow2'), img('snap.qcow2'));
    run('qemu-img', ['snapshot', '-c', 's1', img('snap.qcow2')]);
    const snap = await openDiskImage(img('snap.qcow2'), { writable: true });
    await expect(snap.write(0, new Uint8Array(512))).rejects.toMatchObject({ kind: 'unsupported', code: 'QCOW2_WRITE_SNAPSHOTS' });
    await snap.close();
  }, 120_000);

  it('writes through the undo journal: rollback restores the overlay byte for byte', async () => {
    run('qemu-img', ['create', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', img('journaled.qcow2')]);
    const pristine = readFileSync(img('journaled.qcow2'));
    const openFile = journaledFileOpener();
    const image = await openDiskImage(img('journaled.qcow2'), { writable: true, openFile });
    for (const [offset, data] of writes()) await image.write(offset, data);
    await image.close();
    expect(sha256File(img('journaled.qcow2'))).not.toBe(sha256(pristine));
    await rollbackImage(img('journaled.qcow2'));
    expect(sha256File(img('journaled.qcow2'))).toBe(sha256(pristine));
    check(img('journaled.qcow2'));
  }, 120_000);
});
