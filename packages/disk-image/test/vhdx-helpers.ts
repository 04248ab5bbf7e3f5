/**
 * Helpers for the VHDX tests: oracle presence (a missing tool skips, except
 * under COLDFIX_REQUIRE_ORACLES=1, where the test runs and fails), qemu's view
 * of an image hashed without holding it in memory, and a 4096-byte logical
 * sector variant of a qemu-made VHDX.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** True when a test needing `tools` must be skipped (never under COLDFIX_REQUIRE_ORACLES=1). */
export function missing(...tools: string[]): boolean {
  return process.env.COLDFIX_REQUIRE_ORACLES !== '1' && !tools.every(hasTool);
}

/** sha256 of a file, read in 4 MiB pieces. */
export function sha256OfFile(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(4 << 20);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** sha256 and size of the virtual disk as qemu reads it (`qemu-img convert -O raw`, sparse temp file). */
export function qemuRawDigest(image: string): { sha256: string; size: number } {
  const out = `${image}.qemu.raw`;
  execFileSync('qemu-img', ['convert', '-f', 'vhdx', '-O', 'raw', image, out], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const size = Number(execFileSync('stat', ['-c', '%s', out], { encoding: 'utf8' }).trim());
    return { sha256: sha256OfFile(out), size };
  } finally {
    rmSync(out, { force: true });
  }
}

const LOGICAL_SECTOR_SIZE_ITEM = Buffer.from([0x1d, 0xbf, 0x41, 0x81, 0x6f, 0xa9, 0x09, 0x47, 0xba, 0x47, 0xf2, 0x33, 0xa8, 0xfa, 0xab, 0x5f]);

/**
 * Rewrites the Logical Sector Size item of a VHDX (found through its region
 * and metadata tables, read here independently of our reader) to `value`.
 * Valid as long as the disk has fewer payload blocks than either chunk ratio
 * (no sector bitmap entry moves) and its size is a multiple of `value`.
 */
export function patchLogicalSectorSize(path: string, value: number): void {
  const b = readFileSync(path);
  const rt = 192 * 1024;
  const metadataGuid = Buffer.from('06a27c8b90479a4bb8fe575f050f886e', 'hex');
  let metadata = -1;
  for (let i = 0; i < b.readUInt32LE(rt + 8); i++) {
    const e = rt + 16 + i * 32;
    if (b.subarray(e, e + 16).equals(metadataGuid)) metadata = Number(b.readBigUInt64LE(e + 16));
  }
  if (metadata < 0) throw new Error('no metadata region');
  for (let i = 0; i < b.readUInt16LE(metadata + 10); i++) {
    const e = metadata + 32 + i * 32;
    if (b.subarray(e, e + 16).equals(LOGICAL_SECTOR_SIZE_ITEM)) {
      b.writeUInt32LE(value, metadata + b.readUInt32LE(e + 16));
      writeFileSync(path, b);
      return;
    }
  }
  throw new Error('no logical sector size item');
}

/** libvhdi's "Bytes per sector" for an image. */
export function vhdiinfoSectorSize(path: string): number {
  const out = execFileSync('vhdiinfo', [path], { encoding: 'utf8' });
  const m = /Bytes per sector\s*:\s*(\d+)/.exec(out);
  if (!m) throw new Error(`vhdiinfo printed no sector size:\n${out}`);
  return Number(m[1]);
}

const BAT_GUID = Buffer.from('6677c22d23f600429d64115e9bfd4a08', 'hex');

/** The BAT's file offset, from region table 1 (decoded here, apart from our reader). */
export function batOffset(path: string): number {
  const b = readFileSync(path);
  const rt = 192 * 1024;
  for (let i = 0; i < b.readUInt32LE(rt + 8); i++) {
    const e = rt + 16 + i * 32;
    if (b.subarray(e, e + 16).equals(BAT_GUID)) return Number(b.readBigUInt64LE(e + 16));
  }
  throw new Error('no BAT region');
}

/** Makes `dl.vhdx` in `dir` with one pending log entry (the recipe); returns its path. */
export function makePendingLogVhdx(dir: string): string {
  const path = join(dir, 'dl.vhdx');
  execFileSync('qemu-img', ['create', '-f', 'vhdx', '-o', 'block_size=1M', path, '64M'], { stdio: 'pipe' });
  const sector = batOffset(path) / 512;
  const conf = join(dir, 'bd.conf');
  writeFileSync(conf, `[inject-error]\nevent = "pwritev"\nerrno = "5"\nsector = "${sector}"\nonce = "on"\n`);
  try {
    execFileSync('qemu-io', ['-c', 'write -P 0xa5 0 4k', `blkdebug:${conf}:${path}`], { stdio: 'pipe' });
  } catch {
    // Expected: "write failed: Input/output error" (the BAT write), after the log entry was flushed.
  }
  return path;
}

