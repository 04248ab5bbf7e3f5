/**
 * Sequential read throughput of VHDX (dynamic, qemu-made) through `openDiskImage`, beside
 * `qemu-img convert` of the same file to qemu's null-co driver, in the same run (absolute times drift
 * between runs here; the ratio is what counts). Target from issue 14: coldfix ≥ 1.0x qemu.
 *
 *   npx tsc -b bench && node bench/dist/vhdx-read-throughput.js [--size-mib 1024] [--block-mib 32] [--rounds 5]
 *
 * Builds once into bench/out/: a raw image with mixed content (random, patterned and zero 64 KiB chunks,
 * an empty 2 MiB every 64 MiB) and its dynamic VHDX (`qemu-img convert -O vhdx -o block_size=…`).
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
const BLOCK_MIB = option('--block-mib', 32);
const ROUNDS = option('--rounds', 5);
const out = join(fileURLToPath(new URL('.', import.meta.url)), '../out');
const rawPath = join(out, `vhdx-throughput-${SIZE >> 20}m.raw`);
const vhdxPath = join(out, `vhdx-throughput-${SIZE >> 20}m-b${BLOCK_MIB}.vhdx`);
const MB = 1e6;

function buildImages(): void {
  mkdirSync(out, { recursive: true });
  if (!existsSync(rawPath)) {
    writeMixedDisk(rawPath, SIZE, { seed: 12345, emptyEvery64MiB: true });
  }
  if (!existsSync(vhdxPath)) execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vhdx', '-o', `subformat=dynamic,block_size=${BLOCK_MIB}M`, rawPath, vhdxPath]);
}

async function sequential(image: DiskImage, chunk = 4 << 20): Promise<number> {
  const start = process.hrtime.bigint();
  for (let o = 0; o < image.size; o += chunk) await image.read(o, Math.min(chunk, image.size - o));
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function timed(cmd: string, argv: string[]): number {
  const start = process.hrtime.bigint();
  execFileSync(cmd, argv, { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function main(): Promise<void> {
  buildImages();
  const image = await openDiskImage(vhdxPath);
  const nullTarget = ['--target-image-opts', `driver=null-co,size=${image.size}`];
  await sequential(image); // warm the page cache
  let ours = Infinity;
  let qemu = Infinity;
  // Interleaved so load from other jobs hits both alike; best of ROUNDS each.
  for (let round = 0; round < ROUNDS; round++) {
    ours = Math.min(ours, await sequential(image));
    qemu = Math.min(qemu, timed('qemu-img', ['convert', '-n', '-f', 'vhdx', vhdxPath, ...nullTarget]));
  }
  await image.close();
  const mbps = (s: number) => (SIZE / MB / s).toFixed(0).padStart(7);
  process.stdout.write(`VHDX dynamic read throughput, ${SIZE >> 20} MiB, ${BLOCK_MIB} MiB blocks, warm page cache, best of ${ROUNDS} interleaved rounds\n`);
  process.stdout.write(`${'coldfix VHDX, sequential 4 MiB reads'.padEnd(44)} ${mbps(ours)} MB/s  ${(qemu / ours).toFixed(2)}x qemu's speed\n`);
  process.stdout.write(`${'qemu-img convert VHDX -> null-co'.padEnd(44)} ${mbps(qemu)} MB/s\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
