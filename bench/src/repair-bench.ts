/**
 * End-to-end repair: coldfix beside the peer routes, on the same images, in the same run.
 *
 *   npx tsc -b bench && node bench/dist/repair-bench.js [--runs 3] [--only coldfix,fuse,guestfs] [--images raw,vhd,bl1,bl64] [--full-check] [--no-bundle]
 *
 * Images (built once, cached in bench/out/repair/):
 *   raw   the catalog's windows-sample (GPT: EFI, MSR, NTFS ~4,800 files, CrowdStrike 291 bad/good/unknown);
 *   vhd   its dynamic VHD (windows-sample-vhd);
 *   bl64  a GPT disk of 64 GiB virtual size whose NTFS partition (~64 GiB, mkntfs -Q on a sparse file,
 *         the same Windows-like tree written through ntfs-3g by the test-images generator) is BitLocker
 *         AES-XTS-128 with a recovery password, as a dynamic VHD. Encrypting all 64 GiB would write
 *         64 GiB of ciphertext, so the writer's `pausedAt` leaves the conversion paused just past
 *         $MFT (the region every repair reads): a partially converted volume, read through the
 *         BitLocker layer either way.
 * Routes (each run on a fresh sparse copy; copying is not timed):
 *   coldfix  `node cli/bin/coldfix.js repair IMG --json` (BitLocker: the recovery password through the
 *            COLDFIX_RECOVERY_PASSWORD environment variable), no root, no FUSE; `--full-check` passes
 *            the same flag (whole-volume consistency check before and after the write);
 *   fuse     root: [qemu-storage-daemon FUSE export for VHD] → [dislocker-fuse for BitLocker] →
 *            losetup --offset → ntfs-3g -o no_detach → find -delete → umount, wait, losetup -d;
 *   guestfs  libguestfs (LIBGUESTFS_BACKEND=direct, TCG here): guestfish -a IMG -m PART glob rm-f
 *            (virt-customize --delete needs OS inspection, which the sample's fake hives fail).
 * Figures: wall time (median of runs, spawn to exit), peak RSS (`/usr/bin/time -v` maximum resident
 * set size: the largest process of the route), bytes read (coldfix's JSON report).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(here, '../..');
const out = join(repo, 'bench/out/repair');
const coldfixBin = join(repo, 'cli/bin/coldfix.js');
const RULE_GLOB = 'C-00000291*.sys';
const CS_DIR = 'Windows/System32/drivers/CrowdStrike';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

interface BenchImage {
  name: string;
  path: string;
  format: 'raw' | 'vpc';
  virtualSize: number;
  partition: number;
  offset: number;
  size: number;
  recoveryPassword?: string;
  note: string;
}

interface Measurement {
  image: string;
  route: string;
  seconds: number[];
  cpu: number[];
  rssMb: number[];
  bytesRead: number[];
  ok: boolean;
  note: string;
}

// ---------------------------------------------------------------- helpers
function sh(cmd: string, argv: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return execFileSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20, input: opts.input, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs `cmd` under /usr/bin/time -v; resolves with wall seconds, peak RSS (MB), stdout, exit code. */
function cpuOf(stderr: string): number {
  const u = /User time \(seconds\): ([0-9.]+)/.exec(stderr);
  const s = /System time \(seconds\): ([0-9.]+)/.exec(stderr);
  return u && s ? Number(u[1]) + Number(s[1]) : NaN;
}

function timed(cmd: string, argv: string[], env?: NodeJS.ProcessEnv): Promise<{ seconds: number; rssMb: number; cpu: number; stdout: string; stderr: string; code: number }> {
  return new Promise((resolvePromise) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-v', cmd, ...argv], { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      resolvePromise({ seconds, rssMb: m ? Number(m[1]) / 1024 : NaN, cpu: cpuOf(stderr), stdout, stderr, code: code ?? 1 });
    });
  });
}

function freshCopy(image: BenchImage, tag: string): string {
  const copy = join(out, 'runs', `${tag}-${image.name}${image.format === 'vpc' ? '.vhd' : '.img'}`);
  mkdirSync(join(out, 'runs'), { recursive: true });
  rmSync(copy, { force: true });
  rmSync(`${copy}.coldfix-journal`, { force: true });
  rmSync(`${copy}.coldfix-quarantine`, { recursive: true, force: true });
  sh('cp', ['--sparse=always', image.path, copy]);
  // Written back before any route starts: otherwise the first fsync of the image (ours at complete(),
  // the FUSE route's unmount) pays the copy's gigabyte of dirty pages (0.74 s of a 1.4 s run, measured).
  sh('sync', [copy]);
  return copy;
}

function cleanup(copy: string): void {
  rmSync(copy, { force: true });
  rmSync(`${copy}.coldfix-journal`, { force: true });
  rmSync(`${copy}.coldfix-quarantine`, { recursive: true, force: true });
}

/** Did the route remove every 291 file? fls on the (decrypted) volume, as an independent check. */
function remaining291(copy: string, image: BenchImage): number {
  const dir = join(out, 'check');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    let raw = copy;
    if (image.format === 'vpc') {
      raw = join(dir, 'disk.raw');
      sh('qemu-img', ['convert', '-f', 'vpc', '-O', 'raw', copy, raw]);
    }
    let listing: string;
    if (image.recoveryPassword) {
      // dislocker-fuse rather than dislocker-file: no 64 GiB plaintext copy.
      const mnt = join(dir, 'dislocker');
      mkdirSync(mnt);
      sh('dislocker-fuse', ['-V', raw, '-O', String(image.offset), `-p${image.recoveryPassword}`, '--', mnt]);
      try {
        listing = sh('fls', ['-r', '-p', join(mnt, 'dislocker-file')]);
      } finally {
        sh('umount', [mnt]);
      }
    } else {
      listing = sh('fls', ['-r', '-p', '-o', String(image.offset / 512), raw]);
    }
    return listing.split('\n').filter((l) => /^r\/r [0-9]/.test(l) && l.includes('/C-00000291')).length;
  } catch (error) {
    process.stderr.write(`check failed: ${(error as Error).message.slice(0, 300)}\n`);
    return -1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- images
async function ensureBenchImages(which: Set<string>): Promise<BenchImage[]> {
  mkdirSync(out, { recursive: true });
  const { ensureImages } = await import('@coldfix/test-images');
  const catalog = await ensureImages(['windows-sample', 'windows-sample-vhd']);
  const images: BenchImage[] = [];
  for (const [name, entryName] of [
    ['raw', 'windows-sample'],
    ['vhd', 'windows-sample-vhd'],
  ] as const) {
    if (!which.has(name)) continue;
    const e = catalog.entries[entryName]!;
    const v = e.volumes.find((x) => x.fs === 'ntfs')!;
    images.push({ name, path: e.image, format: e.format, virtualSize: e.virtualSize, partition: v.partition!, offset: v.offset, size: v.size, note: `${entryName}, ${v.fileCount} files` });
  }
  if (which.has('bl1')) images.push(await ensureBitLocker1(catalog.entries['windows-sample']!));
  if (which.has('bl64')) images.push(await ensureBitLocker64());
  return images;
}

/**
 * windows-sample with its Windows partition fully encrypted (AES-XTS-128, recovery password) as a
 * dynamic VHD: the image the peer routes can also open (dislocker serves only the converted part of
 * a paused conversion, so bl64 is coldfix-only). `reserveInBitmap: false`: with the writer's default
 * (metadata clusters marked in $Bitmap, no FVE2 file claiming them) coldfix's verification finds
 * CLUSTER_MARKED_UNCLAIMED and rolls the repair back (reported to the lead).
 */
async function ensureBitLocker1(plain: { image: string; volumes: { fs: string; offset: number; size: number; partition?: number; fileCount?: number }[] }): Promise<BenchImage> {
  const factsPath = join(out, 'bl1.json');
  if (existsSync(factsPath)) return JSON.parse(readFileSync(factsPath, 'utf8')) as BenchImage;
  const v = plain.volumes.find((x) => x.fs === 'ntfs')!;
  const raw = join(out, 'bl1.raw');
  sh('cp', ['--sparse=always', plain.image, raw]);
  const { encryptToBitLocker } = await import(join(repo, 'test-images/dist/bitlocker/index.js'));
  process.stderr.write('bl1: encrypting the windows-sample partition (AES-XTS-128)…\n');
  const enc = await encryptToBitLocker(raw, v.offset, v.size, { method: 'aes-xts-128', protectors: { recoveryPassword: 'generate' }, reserveInBitmap: false });
  const vhd = join(out, 'bl1-xts128.vhd');
  sh('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', raw, vhd]);
  rmSync(raw);
  const info = JSON.parse(sh('qemu-img', ['info', '--output=json', vhd])) as { 'virtual-size': number };
  const image: BenchImage = {
    name: 'bl1',
    path: vhd,
    format: 'vpc',
    virtualSize: info['virtual-size'],
    partition: v.partition!,
    offset: v.offset,
    size: v.size,
    recoveryPassword: enc.recoveryPassword as string,
    note: `windows-sample, BitLocker XTS-128 (fully encrypted) dynamic VHD, ${(info['virtual-size'] / 2 ** 30).toFixed(2)} GiB virtual`,
  };
  writeFileSync(factsPath, JSON.stringify(image));
  return image;
}

async function ensureBitLocker64(): Promise<BenchImage> {
  const factsPath = join(out, 'bl64.json');
  if (existsSync(factsPath)) return JSON.parse(readFileSync(factsPath, 'utf8')) as BenchImage;
  const work = join(out, 'bl64-work');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const raw = join(work, 'disk.raw');
  // The generator's own entry points (not exported from the package index): a 64 GiB partition.
  const { buildWindowsSample } = await import(join(repo, 'test-images/dist/scenarios/windows-sample.js'));
  const { encryptToBitLocker } = await import(join(repo, 'test-images/dist/bitlocker/index.js'));
  process.stderr.write('bl64: building the 64 GiB Windows-like volume (mkntfs -Q, ntfs-3g)…\n');
  const sample = await buildWindowsSample({ image: raw, workDir: work, mountPoint: join(work, 'mnt'), ntfsSizeMiB: 65536 - 118, scale: 1 });
  const { offset, size, number } = sample.windowsPartition as { offset: number; size: number; number: number };
  // $MFT's position from the boot sector: encrypt up to just past the first 16 MiB of $MFT.
  const boot = Buffer.alloc(512);
  const fd = (await import('node:fs')).openSync(raw, 'r');
  (await import('node:fs')).readSync(fd, boot, 0, 512, offset);
  (await import('node:fs')).closeSync(fd);
  const clusterSize = boot.readUInt16LE(11) * boot.readUInt8(13);
  const mftLcn = Number(boot.readBigUInt64LE(0x30));
  const pausedAt = Math.ceil((mftLcn * clusterSize + (64 << 20)) / (1 << 20)) * (1 << 20);
  process.stderr.write(`bl64: encrypting (AES-XTS-128) up to ${pausedAt} bytes ($MFT at LCN ${mftLcn})…\n`);
  const enc = await encryptToBitLocker(raw, offset, size, { method: 'aes-xts-128', protectors: { recoveryPassword: 'generate' }, pausedAt, reserveInBitmap: false });
  const vhd = join(out, 'bl64-xts128.vhd');
  sh('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', raw, vhd]);
  const info = JSON.parse(sh('qemu-img', ['info', '--output=json', vhd])) as { 'virtual-size': number };
  rmSync(work, { recursive: true, force: true });
  const image: BenchImage = {
    name: 'bl64',
    path: vhd,
    format: 'vpc',
    virtualSize: info['virtual-size'],
    partition: number,
    offset,
    size,
    recoveryPassword: enc.recoveryPassword as string,
    note: `BitLocker XTS-128 dynamic VHD, ${(info['virtual-size'] / 2 ** 30).toFixed(1)} GiB virtual; converted up to ${(pausedAt / 2 ** 30).toFixed(2)} GiB`,
  };
  writeFileSync(factsPath, JSON.stringify(image));
  return image;
}

// ---------------------------------------------------------------- routes
async function runColdfix(image: BenchImage, copy: string): Promise<{ seconds: number; cpu: number; rssMb: number; bytesRead: number; ok: boolean }> {
  const argv = [coldfixBin, 'repair', copy, '--json', ...(args.includes('--full-check') ? ['--full-check'] : [])];
  const env = { ...process.env, ...(args.includes('--no-bundle') ? { COLDFIX_NO_BUNDLE: '1' } : {}) };
  const r = await timed(process.execPath, argv, image.recoveryPassword ? { ...env, COLDFIX_RECOVERY_PASSWORD: image.recoveryPassword } : env);
  let bytesRead = NaN;
  let ok = false;
  try {
    const report = JSON.parse(r.stdout) as { result: string; bytesRead: number };
    bytesRead = report.bytesRead;
    ok = report.result === 'repaired';
  } catch {
    process.stderr.write(`coldfix failed: ${r.stderr.slice(-800)}\n`);
  }
  return { seconds: r.seconds, cpu: r.cpu, rssMb: r.rssMb, bytesRead, ok };
}

/** The manual root route as one shell script (so /usr/bin/time sees all of it). */
function fuseScript(image: BenchImage, copy: string): string {
  const mnt = join(out, 'mnt');
  const lines = ['set -e', `M=${mnt}`, 'mkdir -p $M/ntfs $M/dislocker', `SRC=${copy}`, `OFF=${image.offset}`, 'QSD=; DIS=;'];
  if (image.format === 'vpc') {
    lines.push(
      `RAW=${join(out, 'mnt', 'export.raw')}; : > $RAW`,
      `qemu-storage-daemon --blockdev driver=file,filename=$SRC,node-name=file --blockdev driver=vpc,file=file,node-name=disk --export type=fuse,id=exp,node-name=disk,mountpoint=$RAW,writable=on & QSD=$!`,
      'for i in $(seq 1 200); do [ "$(stat -c %s $RAW)" -gt 0 ] && break; sleep 0.01; done',
      'SRC=$RAW',
    );
  }
  if (image.recoveryPassword) {
    lines.push(
      `dislocker-fuse -V $SRC -O $OFF -p${image.recoveryPassword} -- $M/dislocker`,
      'SRC=$M/dislocker/dislocker-file; OFF=0',
    );
  }
  lines.push(
    'L=$(losetup --find --show --offset $OFF $SRC)',
    'ntfs-3g -o no_detach $L $M/ntfs & NT=$!',
    'for i in $(seq 1 500); do mountpoint -q $M/ntfs && break; sleep 0.01; done',
    `find $M/ntfs/${CS_DIR} -maxdepth 1 -name '${RULE_GLOB}' -delete`,
    'umount $M/ntfs; wait $NT',
    'losetup -d $L',
  );
  if (image.recoveryPassword) lines.push('umount $M/dislocker');
  if (image.format === 'vpc') lines.push('kill $QSD; wait $QSD || true');
  return lines.join('\n');
}

async function runFuse(image: BenchImage, copy: string): Promise<{ seconds: number; cpu: number; rssMb: number; ok: boolean }> {
  const r = await timed('bash', ['-c', fuseScript(image, copy)]);
  if (r.code !== 0) process.stderr.write(`fuse route failed: ${r.stderr.split('\n').filter((l) => !/^\t/.test(l)).join('\n').slice(-600)}\n`);
  return { seconds: r.seconds, cpu: r.cpu, rssMb: r.rssMb, ok: r.code === 0 };
}

async function runGuestfs(image: BenchImage, copy: string): Promise<{ seconds: number; cpu: number; rssMb: number; ok: boolean; note: string }> {
  const env = { ...process.env, LIBGUESTFS_BACKEND: 'direct' };
  const part = `/dev/sda${image.partition}`;
  const glob = `/${CS_DIR}/${RULE_GLOB}`;
  let argv: string[];
  let note = 'guestfish glob rm-f';
  if (image.recoveryPassword) {
    // BitLocker through the appliance's cryptsetup (bitlk); the key on stdin.
    argv = ['--rw', `--format=${image.format}`, '-a', copy, '--keys-from-stdin', '--', 'run', ':', 'cryptsetup-open', part, 'bl', 'crypttype:bitlk', ':', 'mount', '/dev/mapper/bl', '/', ':', 'glob', 'rm-f', glob, ':', 'umount-all', ':', 'cryptsetup-close', '/dev/mapper/bl'];
    note = 'guestfish cryptsetup-open bitlk + glob rm-f';
    const r = await timedWithInput('guestfish', argv, `${image.recoveryPassword}\n`, env);
    if (r.code !== 0) process.stderr.write(`guestfs failed: ${r.stderr.split('\n').filter((l) => !/^\t/.test(l)).join('\n').slice(-600)}\n`);
    return { seconds: r.seconds, cpu: r.cpu, rssMb: r.rssMb, ok: r.code === 0, note };
  }
  argv = ['--rw', `--format=${image.format}`, '-a', copy, '-m', part, 'glob', 'rm-f', glob];
  const r = await timed('guestfish', argv, env);
  if (r.code !== 0) process.stderr.write(`guestfs failed: ${r.stderr.split('\n').filter((l) => !/^\t/.test(l)).join('\n').slice(-600)}\n`);
  return { seconds: r.seconds, cpu: r.cpu, rssMb: r.rssMb, ok: r.code === 0, note };
}

function timedWithInput(cmd: string, argv: string[], input: string, env: NodeJS.ProcessEnv): Promise<{ seconds: number; rssMb: number; cpu: number; stdout: string; stderr: string; code: number }> {
  return new Promise((resolvePromise) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-v', cmd, ...argv], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(input);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      resolvePromise({ seconds, rssMb: m ? Number(m[1]) / 1024 : NaN, cpu: cpuOf(stderr), stdout, stderr, code: code ?? 1 });
    });
  });
}

// ---------------------------------------------------------------- main
const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};

async function main(): Promise<void> {
  const runs = Number(option('--runs') ?? 3);
  const routes = new Set((option('--only') ?? 'coldfix,fuse,guestfs').split(','));
  const which = new Set((option('--images') ?? 'raw,vhd,bl1,bl64').split(','));
  const images = await ensureBenchImages(which);
  if (args.includes('--build-only')) return;
  // The CLI as users run it after `npm run bundle -w cli` (one module instead of ~160); --no-bundle measures dist/.
  if (!args.includes('--no-bundle')) sh(process.execPath, [join(repo, 'cli/dist/build-bundle.js')]);
  // What the launcher will run, as it says itself (bundle or dist/, code cache accepted or not).
  const launch = spawnSync(process.execPath, [coldfixBin, '--version'], {
    env: { ...process.env, COLDFIX_DEBUG_LAUNCH: '1', ...(args.includes('--no-bundle') ? { COLDFIX_NO_BUNDLE: '1' } : {}) },
    encoding: 'utf8',
  });
  process.stdout.write(`coldfix CLI entry: ${String(launch.stderr ?? '').trim().replace(/^coldfix launcher: /, '') || 'unknown'}\n`);
  // Node parses that bundle at every start whatever the script (~35 ms of each coldfix run here); the FUSE route runs no node.
  if (process.env.NODE_EXTRA_CA_CERTS) process.stdout.write(`note: NODE_EXTRA_CA_CERTS is set in this environment (node loads it at every start)\n`);
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(`load average at start: ${load()} (${cpus().length} CPUs)\n`);
  let guestfsOk = routes.has('guestfs');
  if (guestfsOk) {
    try {
      sh('which', ['guestfish']);
    } catch {
      guestfsOk = false;
      process.stdout.write('note: libguestfs (guestfish) is not installed: `apt-get install -y libguestfs-tools`; its route is skipped\n');
    }
  }
  const results: Measurement[] = [];
  for (const image of images) {
    process.stderr.write(`${image.name}: ${image.note}\n`);
    const m = new Map<string, Measurement>();
    const get = (route: string) => {
      if (!m.has(route)) m.set(route, { image: image.name, route, seconds: [], cpu: [], rssMb: [], bytesRead: [], ok: true, note: '' });
      return m.get(route)!;
    };
    // Interleave the routes round by round: drift on this loaded machine hits them alike.
    for (let round = 0; round < runs; round++) {
      if (routes.has('coldfix')) {
        const copy = freshCopy(image, 'coldfix');
        const r = await runColdfix(image, copy);
        const x = get('coldfix');
        x.seconds.push(r.seconds);
        x.cpu.push(r.cpu);
        x.rssMb.push(r.rssMb);
        x.bytesRead.push(r.bytesRead);
        if (round === 0) x.ok = r.ok && (image.name === 'bl64' ? true : remaining291(copy, image) === 0);
        if (image.name === 'bl64') x.note = 'removal not checked independently (dislocker serves only the converted part)';
        cleanup(copy);
      }
      if (routes.has('fuse') && image.name !== 'bl64') {
        const copy = freshCopy(image, 'fuse');
        const r = await runFuse(image, copy);
        const x = get('fuse');
        x.seconds.push(r.seconds);
        x.cpu.push(r.cpu);
        x.rssMb.push(r.rssMb);
        if (round === 0) x.ok = r.ok && remaining291(copy, image) === 0;
        x.note = image.format === 'vpc' ? 'qemu-storage-daemon FUSE + loop + ntfs-3g' : 'loop + ntfs-3g';
        if (image.recoveryPassword) x.note += ' + dislocker-fuse';
        cleanup(copy);
      }
      if (guestfsOk && image.name !== 'bl64' && round < Math.min(runs, 2)) {
        const copy = freshCopy(image, 'guestfs');
        const r = await runGuestfs(image, copy);
        const x = get('guestfs');
        x.seconds.push(r.seconds);
        x.cpu.push(r.cpu);
        x.rssMb.push(r.rssMb);
        x.note = r.note;
        if (round === 0) x.ok = r.ok && remaining291(copy, image) === 0;
        cleanup(copy);
      }
    }
    results.push(...m.values());
  }
  printTable(images, results);
  process.stdout.write(`load average at end: ${load()}\n`);
  if (images.some((i) => i.recoveryPassword)) {
    // The unlock's inherent part: one 1,048,576-round SHA-256 stretch (WebAssembly), measured here, in this run.
    const { stretchKey } = await import('@coldfix/bitlocker');
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    stretchKey(new Uint8Array(32), new Uint8Array(16));
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(`key stretch (recovery password, once per repair): ${((performance.now() - t0) / 1000).toFixed(3)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(3)} s CPU\n`);
  }
}

function printTable(images: BenchImage[], results: Measurement[]): void {
  const rows = [['image', 'route', 'wall s (median)', 'runs', 'CPU s (user+sys)', 'peak RSS MB', 'bytes read', 'vs coldfix', 'removed all', 'how']];
  for (const image of images) {
    const mine = results.find((r) => r.image === image.name && r.route === 'coldfix');
    for (const r of results.filter((x) => x.image === image.name)) {
      const s = median(r.seconds);
      rows.push([
        image.name,
        r.route,
        s.toFixed(3),
        r.seconds.map((x) => x.toFixed(2)).join(' '),
        median(r.cpu).toFixed(2),
        median(r.rssMb).toFixed(0),
        r.route === 'coldfix' ? `${(median(r.bytesRead) / 2 ** 20).toFixed(1)} MiB` : '-',
        mine && r.route !== 'coldfix' ? `${(s / median(mine.seconds)).toFixed(1)}x slower` : '',
        r.ok ? 'yes' : 'NO',
        r.note,
      ]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
  process.stdout.write('\ntargets: plain raw/VHD coldfix < 0.35 s and faster than fuse; bl64 coldfix < 0.7 s, < 150 MB peak RSS, < 64 MiB read, >= 25x faster than guestfs\n');
  for (const image of images) {
    const mine = results.find((r) => r.image === image.name && r.route === 'coldfix');
    if (!mine) continue;
    const s = median(mine.seconds);
    const fuse = results.find((r) => r.image === image.name && r.route === 'fuse');
    const guestfs = results.find((r) => r.image === image.name && r.route === 'guestfs');
    const verdicts: string[] = [];
    if (image.recoveryPassword) {
      verdicts.push(`wall ${s.toFixed(3)} s ${s < 0.7 ? 'MET' : 'MISSED'} (< 0.7)`);
      verdicts.push(`RSS ${median(mine.rssMb).toFixed(0)} MB ${median(mine.rssMb) < 150 ? 'MET' : 'MISSED'} (< 150)`);
      verdicts.push(`read ${(median(mine.bytesRead) / 2 ** 20).toFixed(1)} MiB ${median(mine.bytesRead) < 64 * 2 ** 20 ? 'MET' : 'MISSED'} (< 64)`);
    } else {
      verdicts.push(`wall ${s.toFixed(3)} s ${s < 0.35 ? 'MET' : 'MISSED'} (< 0.35)`);
    }
    if (fuse) verdicts.push(`vs fuse ${(median(fuse.seconds) / s).toFixed(2)}x ${median(fuse.seconds) > s ? 'faster MET' : 'NOT faster'}`);
    if (guestfs) verdicts.push(`vs libguestfs ${(median(guestfs.seconds) / s).toFixed(1)}x ${median(guestfs.seconds) / s >= 25 ? 'MET' : 'MISSED'} (>= 25x)`);
    process.stdout.write(`${image.name}: ${verdicts.join('; ')}\n`);
  }
}

await main();
