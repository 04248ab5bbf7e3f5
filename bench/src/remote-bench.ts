/**
 * Remote triage: what coldfix transfers and how long it takes to answer "is this disk affected?" for
 * a 64 GiB disk served over HTTP range requests with added latency, against downloading the disk
 * whole from the same server, in the same run.
 *
 *   npx tsc -b && node bench/dist/remote-bench.js [--latency-ms 20] [--images plain64,bl64] [--no-download] [--download-gib N]
 *
 * Images (built once, cached in bench/out/remote/ and bench/out/repair/):
 *   plain64  the catalog's windows-sample (GPT, NTFS, CrowdStrike 291 files) grown to 64 GiB (sparse,
 *            backup GPT moved to the end with sgdisk -e) as a fixed VHD: the shape of an Azure page blob;
 *   bl64     repair-bench's 64 GiB BitLocker (AES-XTS-128, recovery password) dynamic VHD.
 * Server: test-images' loopback range server (127.0.0.1), `--latency-ms` added to every request; it
 * counts the body bytes it sends. Download: the whole image by 8 MiB range requests, 4 at a time (as
 * azcopy or a presigned-URL downloader would), discarded as it arrives; `--download-gib N` downloads
 * only the first N GiB and prints the whole-disk time extrapolated from that rate (labelled as such).
 * Figures: wall time (spawn to exit) and bytes transferred per command, the download's, and ratios.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpRangeSource } from '@coldfix/io';
import { ensureImages, startRangeServer } from '@coldfix/test-images';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const out = join(repo, 'bench/out/remote');
const coldfixBin = join(repo, 'cli/bin/coldfix.js');
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const latencyMs = Number(option('--latency-ms') ?? 20);
const which = new Set((option('--images') ?? 'plain64,bl64').split(','));

interface Image {
  name: string;
  path: string;
  recoveryPassword?: string;
}

async function ensurePlain64(): Promise<Image> {
  mkdirSync(out, { recursive: true });
  const vhd = join(out, 'plain64-fixed.vhd');
  if (!existsSync(vhd)) {
    const catalog = await ensureImages(['windows-sample']);
    const raw = join(out, 'plain64.raw');
    execFileSync('cp', ['--sparse=always', catalog.entries['windows-sample']!.image, raw]);
    execFileSync('truncate', ['-s', '64G', raw]);
    execFileSync('sgdisk', ['-e', raw], { stdio: 'ignore' });
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed,force_size=on', raw, `${vhd}.tmp`]);
    rmSync(raw);
    execFileSync('mv', [`${vhd}.tmp`, vhd]);
  }
  return { name: 'plain64', path: vhd };
}

function ensureBl64(): Image {
  const facts = join(repo, 'bench/out/repair/bl64.json');
  if (!existsSync(facts)) {
    process.stderr.write('bl64: building it through repair-bench (one coldfix run)…\n');
    spawnSync(process.execPath, [join(repo, 'bench/dist/repair-bench.js'), '--images', 'bl64', '--only', 'coldfix', '--runs', '1'], { stdio: 'inherit' });
  }
  const image = JSON.parse(readFileSync(facts, 'utf8')) as { path: string; recoveryPassword: string };
  return { name: 'bl64', path: image.path, recoveryPassword: image.recoveryPassword };
}

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<{ seconds: number; code: number; stdout: string; stderr: string }> {
  const started = performance.now();
  return new Promise((res) =>
    execFile(process.execPath, [coldfixBin, ...argv], { env, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      res({ seconds: (performance.now() - started) / 1000, code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

async function download(url: string, limit: number): Promise<{ seconds: number; wholeSeconds: number; partial: boolean }> {
  const started = performance.now();
  const source = await HttpRangeSource.open(url, { maxRequestBytes: 8 << 20, maxParallel: 4 });
  const end = Math.min(source.size, limit);
  const chunk = new Uint8Array(32 << 20);
  for (let at = 0; at < end; at += chunk.length) {
    const piece = chunk.subarray(0, Math.min(chunk.length, end - at));
    await source.readInto(at, piece);
  }
  await source.close();
  const seconds = (performance.now() - started) / 1000;
  return { seconds, wholeSeconds: (seconds * source.size) / end, partial: end < source.size };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const images: Image[] = [];
  if (which.has('plain64')) images.push(await ensurePlain64());
  if (which.has('bl64')) images.push(ensureBl64());
  process.stdout.write(`remote triage, loopback HTTP with ${latencyMs} ms added per request\n`);
  for (const image of images) {
    const size = statSync(image.path).size;
    const env = { ...process.env, ...(image.recoveryPassword ? { COLDFIX_RECOVERY_PASSWORD: image.recoveryPassword } : {}) };
    const keyArgs = image.recoveryPassword ? ['--recovery-password', 'env:COLDFIX_RECOVERY_PASSWORD'] : [];
    const server = await startRangeServer({ path: image.path }, { latencyMs });
    let triage = { seconds: 0, bytes: 0 };
    try {
      for (const command of [['info'], ['repair', '--dry-run'], ['verify']]) {
        const local = await run([...command, image.path, ...keyArgs, '--json'], env);
        const before = server.stats.bytesSent;
        const requestsBefore = server.stats.requests;
        const remote = await run([...command, server.url, ...keyArgs, '--json'], env);
        const sent = server.stats.bytesSent - before;
        const same = local.code === remote.code;
        if (command[0] === 'repair') triage = { seconds: remote.seconds, bytes: sent };
        process.stdout.write(
          `${image.name} ${command.join(' ')}: remote ${remote.seconds.toFixed(2)} s, ${mib(sent)} in ${server.stats.requests - requestsBefore} requests (exit ${remote.code}); local ${local.seconds.toFixed(2)} s (exit ${local.code})${same ? '' : '  EXIT CODES DIFFER'}\n`,
        );
        if (remote.code > 3) process.stdout.write(`  stderr: ${remote.stderr.trim().split('\n').slice(-2).join(' | ')}\n`);
      }
      if (!args.includes('--no-download')) {
        server.faults.latencyMs = latencyMs;
        const before = server.stats.bytesSent;
        const gib = option('--download-gib');
        const whole = await download(server.url, gib ? Number(gib) * 2 ** 30 : Number.MAX_SAFE_INTEGER);
        const sent = server.stats.bytesSent - before;
        process.stdout.write(
          whole.partial
            ? `${image.name} download: first ${mib(sent)} in ${whole.seconds.toFixed(1)} s; whole ${mib(size)} EXTRAPOLATED at that rate: ${whole.wholeSeconds.toFixed(0)} s\n`
            : `${image.name} download whole: ${whole.seconds.toFixed(1)} s, ${mib(sent)} (file ${mib(size)})\n`,
        );
        process.stdout.write(
          `${image.name} triage (repair --dry-run) against download: ${(size / Math.max(1, triage.bytes)).toFixed(0)}x fewer bytes, ${(whole.wholeSeconds / triage.seconds).toFixed(1)}x faster${whole.partial ? ' (time extrapolated)' : ''}; target <= 16 MiB: ${triage.bytes <= 16 * 2 ** 20 ? 'MET' : 'MISSED'}\n`,
        );
      }
    } finally {
      await server.close();
    }
  }
}

await main();
