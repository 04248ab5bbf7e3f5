/**
 * Sequential read throughput of qcow2 (plain, zlib-compressed, zstd-compressed)
 * through `openDiskImage`, beside `qemu-img convert` of the same images to
 * qemu's null-co driver, in the same run (ratios are what count here).
 *
 *   npx tsc -b bench && node bench/dist/qcow2-throughput.js [--size-mib 1024] [--rounds 3]
 *
 * Builds (once, cached in bench/out/) a raw image with mixed content (random,
 * patterned and zero 64 KiB chunks) and its qcow2 conversions with qemu-img,
 * then reads each whole in 4 MiB pieces with a warm page cache.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDiskImage, type DiskImage } from '@coldfix/disk-image';
import { writeMixedDisk } from './mixed-content.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SIZE = option('--size-mib', 1024) * (1 << 20);
const ROUNDS = option('--rounds', 3);
const out = join(fileURLToPath(new URL('.', import.meta.url)), '../out');
const rawPath = join(out, `qcow2-throughput-${SIZE >> 20}m.raw`);
const variants: Array<[string, string[]]> = [
  ['plain', []],
  ['zlib', ['-c']],
  ['zstd', ['-c', '-o', 'compression_type=zstd']],
];
const pathOf = (name: string) => join(out, `qcow2-throughput-${SIZE >> 20}m-${name}.qcow2`);

function build(): void {
  mkdirSync(out, { recursive: true });
  if (!existsSync(rawPath)) {
    writeMixedDisk(rawPath, SIZE, { seed: 12345 });
  }
  for (const [name, opts] of variants) {
    if (!existsSync(pathOf(name))) execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', ...opts, rawPath, pathOf(name)]);
  }
}

async function sequential(image: DiskImage, chunk = 4 << 20): Promise<number> {
  const start = process.hrtime.bigint();
  for (let o = 0; o < image.size; o += chunk) await image.read(o, Math.min(chunk, image.size - o));
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function qemu(path: string): number {
  const start = process.hrtime.bigint();
  execFileSync('qemu-img', ['convert', '-n', '-f', 'qcow2', path, '--target-image-opts', `driver=null-co,size=${SIZE}`], { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function main(): Promise<void> {
  build();
  process.stdout.write(`qcow2 sequential read, ${SIZE >> 20} MiB, warm page cache, best of ${ROUNDS} interleaved rounds\n`);
  for (const [name] of variants) {
    const image = await openDiskImage(pathOf(name));
    await sequential(image); // warm the page cache
    let ours = Infinity;
    let theirs = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      ours = Math.min(ours, await sequential(image));
      theirs = Math.min(theirs, qemu(pathOf(name)));
    }
    await image.close();
    const mbps = (s: number) => (SIZE / 1e6 / s).toFixed(0).padStart(6);
    process.stdout.write(`${name.padEnd(6)} coldfix ${mbps(ours)} MB/s   qemu-img convert -> null-co ${mbps(theirs)} MB/s   ratio ${(theirs / ours).toFixed(2)}x qemu's speed\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
