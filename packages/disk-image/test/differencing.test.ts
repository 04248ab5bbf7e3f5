/**
 * Differencing chains made by our writer (createDifferencingVhd) over
 * qemu-made parents: libvhdi must accept them and read what we read; writes go
 * to the child only; parents are found through locators, parentDirs and
 * case-insensitive names, and verified by unique ID.
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDifferencingVhd, openDiskImage, VhdImage } from '@coldfix/disk-image';
import { runSourceContract } from '../../io/test/source-contract.js';
import { cacheDir, checkVhdStructure, ensureFile, libvhdiRaw, makeRawContent, qemuRaw, run, scratchDir, sha256, sha256File, sha256Source, vhdiinfo } from './helpers.js';

const SIZE = 12 << 20;
const BLOCK = 2 << 20;
const rawPath = ensureFile(join(cacheDir(), 'd-content.raw'), () => makeRawContent(SIZE, 23));
const scratch = scratchDir('diff');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed * 13) & 0xff);

function makeBase(dir: string, name = 'base.vhd'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', rawPath, path]);
  return path;
}

describe('a 3-deep chain: base (qemu) ← mid ← top (ours)', () => {
  const dir = join(scratch, 'chain');
  const base = makeBase(dir);
  const mid = join(dir, 'mid.vhd');
  const top = join(dir, 'top.vhd');
  const model = new Uint8Array(readFileSync(rawPath));
  const midWrites: Array<[number, Uint8Array]> = [
    [1000, pattern(3000, 1)],
    [(2 << 20) + 4096, pattern(8192, 2)], // unallocated in the base too
    [5 * BLOCK - 10, pattern(20, 3)], // straddles blocks 4 and 5
  ];
  const topWrites: Array<[number, Uint8Array]> = [
    [1500, pattern(100, 4)], // inside a block the mid already allocated
    [3 * BLOCK + 777, pattern(5000, 5)],
  ];

  it('creates, writes and reads the chain like libvhdi; parents unchanged', async () => {
    const baseHash = sha256File(base);
    await createDifferencingVhd(mid, base);
    const m = await openDiskImage(mid, { writable: true });
    expect(m.variant).toBe('differencing');
    expect(m.chain.map((c) => c.path)).toEqual([mid, base]);
    for (const [at, data] of midWrites) {
      await m.write(at, data);
      model.set(data, at);
    }
    await m.close();
    const midModel = model.slice();
    expect(sha256File(base)).toBe(baseHash);
    const midHash = sha256File(mid);

    await createDifferencingVhd(top, mid, { parentLocator: 'both' });
    const t = await openDiskImage(top, { writable: true });
    for (const [at, data] of topWrites) {
      await t.write(at, data);
      model.set(data, at);
    }
    await t.close();
    expect(sha256File(base)).toBe(baseHash);
    expect(sha256File(mid)).toBe(midHash);

    const reopened = await openDiskImage(top);
    expect(reopened.chain.map((c) => c.variant)).toEqual(['differencing', 'differencing', 'dynamic']);
    expect(reopened.anomalies).toEqual([]);
    expect(await sha256Source(reopened)).toBe(sha256(model));
    const midId = reopened.chain[1].uniqueId!;
    const topId = reopened.chain[0].uniqueId!;
    const describe = reopened.describe();
    expect(describe.details?.parentUniqueId).toBe(midId);
    expect(describe.parent?.identity).toBe(mid);
    await reopened.close();

    // libvhdi: accepts the header, reads the chain the same way.
    const info = vhdiinfo(top);
    expect(info['Disk type']).toBe('Differential');
    expect(info['Identifier']).toBe(topId);
    expect(info['Parent identifier']).toBe(midId);
    expect(info['Media size']).toContain(`(${SIZE} bytes)`);
    expect(sha256(libvhdiRaw(top))).toBe(sha256(model));
    expect(sha256(libvhdiRaw(mid))).toBe(sha256(midModel));
    expect(checkVhdStructure(top)).toEqual([]);
    expect(checkVhdStructure(mid)).toEqual([]);
  });

  it('qemu (which reads a differencing VHD without its parent) sees our bytes in every block we allocated', async () => {
    const image = (await openDiskImage(top)) as VhdImage;
    const ours = new Uint8Array(image.size);
    for (let o = 0; o < image.size; o += BLOCK) ours.set(await image.read(o, Math.min(BLOCK, image.size - o)), o);
    const bat = image.map!.bat;
    await image.close();
    const qemu = qemuRaw(top);
    expect(qemu.length).toBe(SIZE);
    let allocated = 0;
    for (let b = 0; b * BLOCK < SIZE; b++) {
      const slice = (x: Uint8Array) => x.subarray(b * BLOCK, Math.min(SIZE, (b + 1) * BLOCK));
      if (bat[b] === 0xffffffff) expect(slice(qemu).every((x) => x === 0)).toBe(true);
      else {
        allocated++;
        expect(sha256(slice(qemu))).toBe(sha256(slice(ours)));
      }
    }
    expect(allocated).toBe(2);
  });

  runSourceContract(
    'disk-image VHD differencing (writable child over a read-only chain)',
    async () => {
      const d = scratchDir('diff-contract');
      const p = makeBase(d, 'p.vhd');
      const c = join(d, 'c.vhd');
      await createDifferencingVhd(c, p);
      return { source: await openDiskImage(c, { writable: true }), expected: readFileSync(rawPath), cleanup: async () => rmSync(d, { recursive: true, force: true }) };
    },
    { readRuns: 15, writeRuns: 5 },
  );
});

describe('finding and verifying parents', () => {
  it('follows the relative locator after the chain moves', async () => {
    const dir = join(scratch, 'move');
    makeBase(join(dir, 'a/base'), 'p.vhd');
    mkdirSync(join(dir, 'a/child'), { recursive: true });
    await createDifferencingVhd(join(dir, 'a/child/c.vhd'), join(dir, 'a/base/p.vhd'), { parentLocator: 'relative' });
    renameSync(join(dir, 'a'), join(dir, 'b'));
    const image = await openDiskImage(join(dir, 'b/child/c.vhd'));
    expect(image.chain[1].path).toBe(join(dir, 'b/base/p.vhd'));
    expect(await sha256Source(image)).toBe(sha256(readFileSync(rawPath)));
    await image.close();
  });

  it('follows the absolute locator when only the child moves', async () => {
    const dir = join(scratch, 'absolute');
    makeBase(join(dir, 'base'), 'p.vhd');
    mkdirSync(join(dir, 'one'), { recursive: true });
    mkdirSync(join(dir, 'two/deeper'), { recursive: true });
    await createDifferencingVhd(join(dir, 'one/c.vhd'), join(dir, 'base/p.vhd'), { parentLocator: 'absolute' });
    renameSync(join(dir, 'one/c.vhd'), join(dir, 'two/deeper/c.vhd'));
    const image = await openDiskImage(join(dir, 'two/deeper/c.vhd'));
    expect(image.chain[1].path).toBe(join(dir, 'base/p.vhd'));
    await image.close();
  });

  it('uses parentDirs and case-insensitive names when the locators lead nowhere', async () => {
    const dir = join(scratch, 'dirs');
    makeBase(join(dir, 'x'), 'Parent.vhd');
    mkdirSync(join(dir, 'y'), { recursive: true });
    await createDifferencingVhd(join(dir, 'y/c.vhd'), join(dir, 'x/Parent.vhd'), { parentLocator: 'absolute' });
    renameSync(join(dir, 'x/Parent.vhd'), join(dir, 'x/PARENT.VHD'));
    renameSync(join(dir, 'x'), join(dir, 'z'));
    await expect(openDiskImage(join(dir, 'y/c.vhd'))).rejects.toMatchObject({ kind: 'not-found', code: 'VHD_PARENT_NOT_FOUND' });
    const image = await openDiskImage(join(dir, 'y/c.vhd'), { parentDirs: [join(dir, 'z')] });
    expect(image.chain[1].path).toBe(join(dir, 'z/PARENT.VHD'));
    await image.close();
  });

  it('refuses a parent whose unique ID differs (ParentMismatchError)', async () => {
    const dir = join(scratch, 'mismatch');
    const p = makeBase(dir, 'p.vhd');
    await createDifferencingVhd(join(dir, 'c.vhd'), p);
    makeBase(dir, 'p.vhd'); // same name, new unique ID
    await expect(openDiskImage(join(dir, 'c.vhd'))).rejects.toMatchObject({ kind: 'parent-mismatch', code: 'VHD_PARENT_MISMATCH' });
  });

  it('tolerates a parent timestamp mismatch as an anomaly', async () => {
    const dir = join(scratch, 'timestamp');
    const p = makeBase(dir, 'p.vhd');
    const c = join(dir, 'c.vhd');
    await createDifferencingVhd(c, p);
    patchHeader(c, (h) => h.writeUInt32BE(12345, 56));
    const image = await openDiskImage(c);
    expect(image.anomalies.join('\n')).toMatch(/parent timestamp/);
    await image.close();
  });

  it('detects a chain that loops back on itself', async () => {
    const dir = join(scratch, 'cycle');
    const p = makeBase(dir, 'pp.vhd');
    const c = join(dir, 'cc.vhd');
    await createDifferencingVhd(c, p);
    // Point the child at itself: its own unique ID, and "cc.vhd" in every name and locator.
    const bytes = readFileSync(c);
    const ownId = bytes.subarray(68, 84);
    swapAll(bytes, Buffer.from('pp.vhd', 'utf16le'), Buffer.from('cc.vhd', 'utf16le'));
    swapAll(bytes, Buffer.from('pp.vhd', 'utf16le').swap16(), Buffer.from('cc.vhd', 'utf16le').swap16());
    ownId.copy(bytes, 512 + 40);
    writeFileSync(c, bytes);
    patchHeader(c, () => undefined);
    await expect(openDiskImage(c)).rejects.toMatchObject({ kind: 'corrupt', code: 'CHAIN_CYCLE' });
  });

  it('limits the chain depth', async () => {
    const dir = join(scratch, 'depth');
    let parent = makeBase(dir, 'd0.vhd');
    for (let i = 1; i <= 3; i++) {
      const child = join(dir, `d${i}.vhd`);
      await createDifferencingVhd(child, parent);
      parent = child;
    }
    await expect(openDiskImage(parent, { maxChainDepth: 3 })).rejects.toMatchObject({ kind: 'limit-exceeded', code: 'CHAIN_TOO_DEEP' });
    const image = await openDiskImage(parent, { maxChainDepth: 4 });
    expect(image.chain).toHaveLength(4);
    await image.close();
  });

  it('refuses to overwrite an existing child, and a raw parent', async () => {
    const dir = join(scratch, 'refuse');
    const p = makeBase(dir, 'p.vhd');
    await expect(createDifferencingVhd(p, p)).rejects.toMatchObject({ kind: 'precondition' });
    copyFileSync(rawPath, join(dir, 'r.img'));
    await expect(createDifferencingVhd(join(dir, 'c.vhd'), join(dir, 'r.img'))).rejects.toMatchObject({ kind: 'unsupported' });
  });
});

function swapAll(bytes: Buffer, from: Buffer, to: Buffer): void {
  for (let i = bytes.indexOf(from); i >= 0; i = bytes.indexOf(from, i + 1)) to.copy(bytes, i);
}

/** Edits the dynamic header at 512 and recomputes its checksum. */
function patchHeader(path: string, edit: (header: Buffer) => void): void {
  const bytes = readFileSync(path);
  const header = bytes.subarray(512, 1536);
  edit(header);
  header.writeUInt32BE(0, 36);
  let sum = 0;
  for (const x of header) sum += x;
  header.writeUInt32BE(~sum >>> 0, 36);
  writeFileSync(path, bytes);
}
