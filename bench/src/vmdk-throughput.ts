/**
 * Sequential read throughput of VMDKs (monolithicSparse, streamOptimized) through `openDiskImage`,
 * beside `qemu-img convert` of the same files to qemu's null-co driver, in the same run.
 *
 *   npx tsc -b bench && node bench/dist/vmdk-throughput.js [--size-mib 1024] [--rounds 3]
 *
 * Builds (once, cached in bench/out/) a raw image of mixed content (1/4 zero, 1/4 random, 1/2 patterned
 * 64 KiB chunks) and its VMDKs (qemu-img convert -O vmdk -o subformat=…), then reads each whole disk in
 * 4 MiB pieces with a warm page cache; best of the rounds, interleaved with qemu's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDiskImage } from '@coldfix/disk-image';
import { writeMixedDisk } from './mixed-content.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SIZE = option('--size-mib', 1024) * (1 << 20);
const ROUNDS = option('--rounds', 3);
const out = join(fileURLToPath(new URL('.', import.meta.url)), '../out');
const rawPath = join(out, `vmdk-throughput-${SIZE >> 20}m.raw`);
const SUBFORMATS = ['monolithicSparse', 'streamOptimized'] as const;
const vmdkPath = (sub: string) => join(out, `vmdk-throughput-${SIZE >> 20}m-${sub}.vmdk`);

function build(): void {
  mkdirSync(out, { recursive: true });
  if (!existsSync(rawPath)) {
    writeMixedDisk(rawPath, SIZE, { seed: 4242 });
  }
  for (const sub of SUBFORMATS) {
    if (!existsSync(vmdkPath(sub))) execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', `subformat=${sub}`, rawPath, vmdkPath(sub)]);
  }
}

async function ours(path: string): Promise<number> {
  const image = await openDiskImage(path);
  const start = process.hrtime.bigint();
  for (let o = 0; o < image.size; o += 4 << 20) await image.read(o, Math.min(4 << 20, image.size - o));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await image.close();
  return seconds;
}

function qemu(path: string): number {
  const start = process.hrtime.bigint();
  execFileSync('qemu-img', ['convert', '-n', '-f', 'vmdk', path, '--target-image-opts', `driver=null-co,size=${SIZE}`], { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function main(): Promise<void> {
  build();
  process.stdout.write(`VMDK sequential read, ${SIZE >> 20} MiB virtual disk, warm page cache, best of ${ROUNDS} interleaved rounds\n`);
  for (const sub of SUBFORMATS) {
    const path = vmdkPath(sub);
    await ours(path); // warm the page cache
    let mine = Infinity;
    let theirs = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      mine = Math.min(mine, await ours(path));
      theirs = Math.min(theirs, qemu(path));
    }
    const mbps = (s: number) => (SIZE / 1e6 / s).toFixed(0).padStart(6);
    process.stdout.write(`${sub.padEnd(18)} coldfix ${mbps(mine)} MB/s   qemu-img convert -> null-co ${mbps(theirs)} MB/s   ratio ${(theirs / mine).toFixed(2)}x\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
