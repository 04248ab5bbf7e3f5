/**
 * Test helpers: a cache folder for generated images, the oracles (qemu-img,
 * libvhdi's vhdimount), hashing through our reader.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { ByteSource } from '@coldfix/io';
import { realFixturesDir } from '@coldfix/test-images';
import { privateTmp, publishOnce, verifiedFixtureCopy } from '@coldfix/test-support';

const here = dirname(fileURLToPath(import.meta.url));
export const CACHE = join(here, '../../../test-images/cache/disk-image');
export const REAL = realFixturesDir();

export function cacheDir(): string {
  mkdirSync(CACHE, { recursive: true });
  return CACHE;
}

/** A fresh scratch folder inside the cache (removed by the caller). */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(cacheDir(), `${prefix}-`));
}

export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function sha256File(path: string): string {
  return sha256(readFileSync(path));
}

/** sha256 of a source's bytes, read in 1 MiB pieces. */
export async function sha256Source(source: ByteSource): Promise<string> {
  const hash = createHash('sha256');
  for (let o = 0; o < source.size; o += 1 << 20) hash.update(await source.read(o, Math.min(1 << 20, source.size - o)));
  return hash.digest('hex');
}

/** The virtual disk as qemu sees it (`qemu-img convert -O raw`). */
export function qemuRaw(image: string, format?: 'vpc', imageOpts?: string): Uint8Array {
  const out = `${image}.qemu.raw`;
  const args = imageOpts ? ['convert', '--image-opts', imageOpts, '-O', 'raw', out] : ['convert', ...(format ? ['-f', format] : []), '-O', 'raw', image, out];
  run('qemu-img', args);
  const bytes = readFileSync(out);
  rmSync(out);
  return bytes;
}

/** The virtual disk as libvhdi sees it (vhdimount; the child is the highest vhdiN). */
export function libvhdiRaw(image: string): Uint8Array {
  const mnt = mkdtempSync(join(cacheDir(), 'mnt-'));
  try {
    run('vhdimount', [image, mnt]);
  } catch (error) {
    rmSync(mnt, { recursive: true, force: true });
    throw error;
  }
  try {
    const names = readdirSync(mnt).filter((n) => /^vhdi\d+$/.test(n));
    names.sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
    return readFileSync(join(mnt, names[names.length - 1]));
  } finally {
    run('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
}

/** `vhdiinfo` output as a key → value map. */
export function vhdiinfo(image: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of run('vhdiinfo', [image]).split('\n')) {
    const m = /^\s+([^:]+?)\s*:\s*(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/**
 * A raw disk with mixed content: random data, zero runs (whole and partial
 * blocks) and a pattern, so sparse and allocated blocks both occur.
 */
export function makeRawContent(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  for (let o = 0; o < size; o += 64 * 1024) {
    const kind = rnd() % 4;
    const end = Math.min(size, o + 64 * 1024);
    if (kind === 0) continue; // zeros
    if (kind === 1) bytes.set(randomBytes(end - o), o);
    else for (let i = o; i < end; i += 4) bytes.fill(rnd() & 0xff, i, Math.min(end, i + 4));
  }
  // Leave whole 2 MiB blocks empty so the dynamic VHD has unallocated blocks.
  if (size > 6 << 20) bytes.fill(0, 2 << 20, 4 << 20);
  return bytes;
}

/**
 * Writes `bytes` to `path` unless it exists (the cache): written under a private name and published
 * once, so a reader never sees a half-written file and a path's bytes never change once it exists.
 */
export function ensureFile(path: string, make: () => Uint8Array): string {
  if (existsSync(path)) return path;
  const tmp = privateTmp(path);
  writeFileSync(tmp, make());
  return publishOnce(tmp, path);
}

/**
 * Gunzips a real fixture into the cache (never into the repo); the copy is re-verified against the
 * fixture's sha256 before every use (test-support/fixture-cache.ts).
 */
export function realFixture(relative: string): string {
  const name = relative.replace(/\//g, '__').replace(/\.gz$/, '');
  return verifiedFixtureCopy(relative, join(cacheDir(), `real-${name}`), relative.endsWith('.gz') ? 'gunzip' : 'copy');
}

/**
 * A structural check of a dynamic/differencing VHD, independent of our reader's
 * code paths (qemu-img check does not support the vpc format: exit 63):
 * footer at the end equals the copy at 0, both checksums valid, every BAT entry
 * inside the file, after the BAT, and no two blocks overlapping.
 */
/**
 * Structural check of a VHD file, independent of our reader (Microsoft's VHD spec): footer checksum,
 * disk type, and for a dynamic/differencing disk the header copy of the footer at offset 0, the header
 * checksum and every BAT block inside the file, after the BAT and not overlapping. Reads with a file
 * descriptor (multi-GB images are not loaded whole). Returns the problems found (empty = sound).
 */
export function checkVhdStructure(path: string): string[] {
  const problems: string[] = [];
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const read = (at: number, length: number): Buffer => {
      const buf = Buffer.alloc(length);
      const got = readSync(fd, buf, 0, length, at);
      if (got !== length) problems.push(`short read at ${at}`);
      return buf;
    };
    const sum = (buf: Uint8Array, skip: number) => {
      let s = 0;
      for (let i = 0; i < buf.length; i++) if (i < skip || i >= skip + 4) s += buf[i];
      return ~s >>> 0;
    };
    if (size < 512) return ['file shorter than a footer'];
    if (size % 512) problems.push('size not a multiple of 512');
    const tail = read(size - 512, 512);
    if (tail.toString('latin1', 0, 8) !== 'conectix') problems.push('footer cookie');
    if (sum(tail, 64) !== tail.readUInt32BE(64)) problems.push('footer checksum');
    const type = tail.readUInt32BE(60);
    if (type === 2) {
      if (Number(tail.readBigUInt64BE(48)) + 512 !== size) problems.push('fixed disk: current size + footer != file size');
      return problems;
    }
    if (type !== 3 && type !== 4) return [...problems, `disk type ${type}`];
    const head = read(0, 512);
    if (Buffer.compare(tail, head) !== 0) problems.push('footer copy differs');
    const hdr = Number(tail.readBigUInt64BE(16));
    const header = read(hdr, 1024);
    if (header.toString('latin1', 0, 8) !== 'cxsparse') problems.push('header cookie');
    if (sum(header, 36) !== header.readUInt32BE(36)) problems.push('header checksum');
    const table = Number(header.readBigUInt64BE(16));
    const entries = header.readUInt32BE(28);
    const blockSize = header.readUInt32BE(32);
    const bitmap = Math.ceil(blockSize / 4096 / 512) * 512;
    const bat = read(table, entries * 4);
    const spans: Array<[number, number]> = [];
    for (let i = 0; i < entries; i++) {
      const e = bat.readUInt32BE(i * 4);
      if (e === 0xffffffff) continue;
      const start = e * 512;
      const end = start + bitmap + blockSize;
      if (start < table + entries * 4) problems.push(`block ${i} before the BAT end`);
      if (end > size - 512) problems.push(`block ${i} past the footer`);
      spans.push([start, end]);
    }
    spans.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) if (spans[i][0] < spans[i - 1][1]) problems.push(`blocks overlap at ${spans[i][0]}`);
    return problems;
  } finally {
    closeSync(fd);
  }
}
