/**
 * The raw disk the read-throughput benches convert into each container: 64 KiB runs that are a
 * quarter zeros, a quarter random bytes and half a repeated byte (a disk with data and holes), from a
 * fixed seed so every run of a bench converts the same bytes.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export interface MixedDiskOptions {
  seed: number;
  /** Zero the first 4 MiB of every 64 MiB, so sparse formats also have unallocated blocks. */
  emptyEvery64MiB?: boolean;
}

export function writeMixedDisk(path: string, size: number, options: MixedDiskOptions): void {
  const fd = openSync(path, 'w');
  const chunk = 64 * 1024;
  let x = options.seed;
  const buffer = Buffer.alloc(4 << 20);
  try {
    for (let o = 0; o < size; o += buffer.length) {
      for (let c = 0; c < buffer.length; c += chunk) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        const kind = (x >>> 16) % 4;
        if (kind === 0) buffer.fill(0, c, c + chunk);
        else if (kind === 1) randomBytes(chunk).copy(buffer, c);
        else buffer.fill((x >>> 24) | 1, c, c + chunk);
      }
      if (options.emptyEvery64MiB && o % (64 << 20) === 0) buffer.fill(0);
      writeSync(fd, buffer, 0, Math.min(buffer.length, size - o), o);
    }
  } finally {
    closeSync(fd);
  }
}
