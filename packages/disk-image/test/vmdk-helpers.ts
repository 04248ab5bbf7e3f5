/**
 * VMDK test oracles: qemu-img (`convert -O raw`, hashed as a stream), libvmdk
 * (`vmdkmount`: the child is the highest vmdkN; `vmdkinfo` fields), and a
 * small COWD (vmfsSparse) writer, since no Linux tool writes one; qemu reads it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, run } from './helpers.js';

export function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Skip only when the tool is missing and the official run (COLDFIX_REQUIRE_ORACLES=1) is not asking for it. */
export const lacks = (...tools: string[]): boolean => !tools.every(hasTool) && process.env.COLDFIX_REQUIRE_ORACLES !== '1';

/** sha256 of a file, read in 1 MiB pieces. */
export function sha256FileStream(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** sha256 of the virtual disk as qemu reads it. */
export function qemuRawSha(image: string): string {
  const out = `${image}.qemu.raw`;
  run('qemu-img', ['convert', '-O', 'raw', image, out]);
  try {
    return sha256FileStream(out);
  } finally {
    rmSync(out);
  }
}

/** sha256 of the virtual disk as libvmdk reads it (vmdkmount, FUSE). */
export function libvmdkRawSha(image: string): string {
  const mnt = mkdtempSync(join(cacheDir(), 'vmdkmnt-'));
  try {
    run('vmdkmount', [image, mnt]);
  } catch (error) {
    rmSync(mnt, { recursive: true, force: true });
    throw error;
  }
  try {
    const names = readdirSync(mnt).filter((n) => /^vmdk\d+$/.test(n));
    names.sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
    return sha256FileStream(join(mnt, names[names.length - 1]));
  } finally {
    run('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
}

/** `vmdkinfo` fields of the top-level section (Content identifier, Parent content identifier, Disk type, …). */
export function vmdkinfo(image: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of run('vmdkinfo', [image]).split('\n')) {
    const m = /^\t([^:\t]+?):\t+(.*)$/.exec(line);
    if (m && !(m[1] in out)) out[m[1]] = m[2];
  }
  return out;
}

/**
 * A COWD (vmfsSparse) extent holding `grains` (grain index → grainBytes of data) over `sectors`
 * virtual sectors; grain size 1 sector×`grainSectors`, one GD entry per 4096 grains.
 * Layout: header sector 0 (2048-byte header area), GD at sector 4, GTs next, grains after.
 */
export function makeCowd(sectors: number, grainSectors: number, grains: Map<number, Uint8Array>): Uint8Array {
  const grainBytes = grainSectors * 512;
  const gdEntries = Math.ceil(sectors / (grainSectors * 4096));
  const gdSector = 4;
  const gdSectors = Math.ceil((gdEntries * 4) / 512);
  const usedTables = [...new Set([...grains.keys()].map((g) => Math.floor(g / 4096)))].sort((a, b) => a - b);
  const gtSectors = 32; // 4096 entries × 4 bytes
  const firstGt = gdSector + gdSectors;
  let next = firstGt + usedTables.length * gtSectors;
  const size = (next + grains.size * grainSectors) * 512;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set([0x43, 0x4f, 0x57, 0x44]); // "COWD"
  view.setUint32(4, 1, true); // version
  view.setUint32(8, 3, true); // flags
  view.setUint32(12, sectors, true);
  view.setUint32(16, grainSectors, true);
  view.setUint32(20, gdSector, true);
  view.setUint32(24, gdEntries, true);
  usedTables.forEach((t, i) => view.setUint32(gdSector * 512 + t * 4, firstGt + i * gtSectors, true));
  for (const [g, data] of [...grains.entries()].sort((a, b) => a[0] - b[0])) {
    const t = usedTables.indexOf(Math.floor(g / 4096));
    view.setUint32((firstGt + t * gtSectors) * 512 + (g % 4096) * 4, next, true);
    out.set(data.subarray(0, grainBytes), next * 512);
    next += grainSectors;
  }
  view.setUint32(28, next, true); // freeSector
  return out;
}
