/**
 * Read throughput of the disk-image layer: raw and dynamic VHD through
 * `openDiskImage`, beside `dd` and `qemu-img convert` on the same data in the
 * same run (absolute times drift between runs here; ratios are what count).
 *
 *   npx tsc -b bench && node bench/dist/read-throughput.js [--size-mib 1024] [--random 20000] [--rounds 5]
 *
 * Builds (once, cached in bench/out/) a raw image with mixed content (random,
 * patterned and zero 64 KiB chunks) and its dynamic VHD (qemu-img convert),
 * then measures with a warm page cache:
 *   - sequential: 4 MiB reads over the whole disk;
 *   - random: 4 KiB reads at random 4 KiB-aligned offsets (same offsets for each);
 *   - peers: `dd bs=4M` of the raw file to /dev/null, `qemu-img convert` of raw and VHD to qemu's null-co driver.
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
const RANDOM_READS = option('--random', 20000);
const ROUNDS = option('--rounds', 5);
const out = join(fileURLToPath(new URL('.', import.meta.url)), '../out');
const rawPath = join(out, `throughput-${SIZE >> 20}m.raw`);
const vhdPath = join(out, `throughput-${SIZE >> 20}m.vhd`);
const MB = 1e6;

function buildImages(): void {
  mkdirSync(out, { recursive: true });
  if (!existsSync(rawPath)) {
    writeMixedDisk(rawPath, SIZE, { seed: 12345, emptyEvery64MiB: true });
  }
  if (!existsSync(vhdPath)) execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', rawPath, vhdPath]);
}

/** CPU seconds (user + system) of the last `sequential` pass per image: less sensitive to other jobs than wall time. */
const cpuSeconds = new Map<DiskImage, number>();

async function sequential(image: DiskImage, chunk = 4 << 20): Promise<number> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let o = 0; o < image.size; o += chunk) await image.read(o, Math.min(chunk, image.size - o));
  const used = process.cpuUsage(cpu);
  cpuSeconds.set(image, Math.min(cpuSeconds.get(image) ?? Infinity, (used.user + used.system) / 1e6));
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function random(image: DiskImage, offsets: number[]): Promise<number> {
  const start = process.hrtime.bigint();
  for (const o of offsets) await image.read(o, 4096);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function timed(cmd: string, argv: string[]): number {
  const start = process.hrtime.bigint();
  execFileSync(cmd, argv, { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Best of `n` runs (less noise from the other jobs on this machine). */
async function best(n: number, f: () => Promise<number> | number): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < n; i++) min = Math.min(min, await f());
  return min;
}

async function main(): Promise<void> {
  buildImages();
  const raw = await openDiskImage(rawPath);
  const vhd = await openDiskImage(vhdPath);
  if (raw.size !== vhd.size) throw new Error(`size mismatch: raw ${raw.size}, vhd ${vhd.size}`);
  const offsets = Array.from({ length: RANDOM_READS }, () => Math.floor(Math.random() * (SIZE / 4096)) * 4096);
  await sequential(raw); // warm the page cache
  await sequential(vhd);
  const rows: Array<[string, number, string]> = [];
  // Interleaved (raw, VHD, raw, VHD, …) so load from other jobs hits both alike; best of ROUNDS each.
  let seqRaw = Infinity, seqVhd = Infinity, rndRaw = Infinity, rndVhd = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    seqRaw = Math.min(seqRaw, await sequential(raw));
    seqVhd = Math.min(seqVhd, await sequential(vhd));
    rndRaw = Math.min(rndRaw, await random(raw, offsets));
    rndVhd = Math.min(rndVhd, await random(vhd, offsets));
  }
  const dd = await best(3, () => timed('dd', [`if=${rawPath}`, 'of=/dev/null', 'bs=4M']));
  // qemu-img cannot write to /dev/null (it cannot grow a device file): the null-co driver discards instead.
  const nullTarget = ['--target-image-opts', `driver=null-co,size=${SIZE}`];
  const qemuRaw = await best(3, () => timed('qemu-img', ['convert', '-n', '-f', 'raw', rawPath, ...nullTarget]));
  const qemuVhd = await best(3, () => timed('qemu-img', ['convert', '-n', '-f', 'vpc', vhdPath, ...nullTarget]));
  const mbps = (bytes: number, s: number) => bytes / MB / s;
  const cpuRaw = cpuSeconds.get(raw)!;
  const cpuVhd = cpuSeconds.get(vhd)!;
  rows.push(['coldfix raw, sequential 4 MiB', mbps(SIZE, seqRaw), `CPU ${(cpuRaw * 1000).toFixed(0)} ms`]);
  rows.push(['coldfix VHD dynamic, sequential 4 MiB', mbps(SIZE, seqVhd), `${(seqVhd / seqRaw).toFixed(2)}x the raw time; CPU ${(cpuVhd * 1000).toFixed(0)} ms (${(cpuVhd / cpuRaw).toFixed(2)}x)`]);
  rows.push(['coldfix raw, random 4 KiB', mbps(RANDOM_READS * 4096, rndRaw), `${Math.round(RANDOM_READS / rndRaw)} reads/s`]);
  rows.push(['coldfix VHD dynamic, random 4 KiB', mbps(RANDOM_READS * 4096, rndVhd), `${Math.round(RANDOM_READS / rndVhd)} reads/s, ${(rndVhd / rndRaw).toFixed(2)}x the raw time`]);
  rows.push(['dd bs=4M (raw file)', mbps(SIZE, dd), '']);
  rows.push(['qemu-img convert raw -> null-co', mbps(SIZE, qemuRaw), '']);
  rows.push(['qemu-img convert VHD dynamic -> null-co', mbps(SIZE, qemuVhd), `coldfix VHD sequential is ${(qemuVhd / seqVhd).toFixed(2)}x qemu's speed`]);
  process.stdout.write(`read throughput, ${SIZE >> 20} MiB image, warm page cache, best of ${ROUNDS} interleaved rounds (peers: best of 3)\n`);
  for (const [name, rate, note] of rows) process.stdout.write(`${name.padEnd(44)} ${rate.toFixed(0).padStart(7)} MB/s  ${note}\n`);
  await raw.close();
  await vhd.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
