/**
 * BitLocker: unlock cost (the SHA-256 key stretch) against a native OpenSSL
 * loop, and bulk decryption against dislocker-file, in the same run (absolute
 * times drift between runs on shared machines; ratios are what count).
 *
 *   npx tsc -b bench && node bench/dist/bitlocker-bench.js [--fixtures DIR]
 *     [--only stretch,sectors,fixtures,generated] [--generated-mib N]
 *
 * 1. Stretch (1,048,576 rounds): node:crypto createHash per round, the
 *    JavaScript loop, the WebAssembly loop, and a C loop over OpenSSL's SHA256()
 *    compiled here with `cc -O2 -lcrypto` (needs libssl-dev; else skipped).
 * 2. Sector crypto on a 64 MiB buffer: batched (ours) vs one node:crypto cipher
 *    object per sector, for XTS-AES-128, AES-CBC-128 and AES-CBC-128 + diffuser.
 * 3. Whole volume: the Windows-made volumes of fox-it/dissect.fve (suspended =
 *    XTS-128 with a clear key; aes_128_diffuser with a password), first filled
 *    with random plaintext through our write path so every sector holds real
 *    ciphertext; then `dislocker-file` decrypting the same file to a plaintext
 *    file (its time includes its unlock) against ours doing the same: unlock,
 *    4 MiB sequential reads into one reused buffer (`readInto`), written to a
 *    plaintext file beside it. Our reads into memory alone are printed too.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { FileSource, PreconditionError, WritableFileSource, isWritable, readInto, type ByteSource } from '@coldfix/io';
import { createSectorCipher, stretchKeyJs, stretchKeyNative, stretchKeyWasm, unlockBitLocker, type KeyMaterial } from '@coldfix/bitlocker';

const args = process.argv.slice(2);
const here = fileURLToPath(new URL('.', import.meta.url));
const fixturesIndex = args.indexOf('--fixtures');
const FIXTURES = fixturesIndex >= 0 ? args[fixturesIndex + 1] : join(here, '../../../shared/fixtures/real/fox-it-dissect.fve');
const work = join(tmpdir(), 'coldfix-bitlocker-bench');
mkdirSync(work, { recursive: true });
const MB = 1e6;
const seconds = (t0: number) => (performance.now() - t0) / 1000;

/**
 * Wall and CPU seconds of `fn`. On a shared machine (load far above the core
 * count) wall time measures the scheduler; CPU time (user + system, this
 * process) is what each implementation costs, so the ratios use it.
 */
async function measure<T>(fn: () => T | Promise<T>): Promise<{ wall: number; cpu: number; value: T }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { wall: seconds(t0), cpu: (c.user + c.system) / 1e6, value };
}
const fmt = (m: { wall: number; cpu: number }) => `${m.wall.toFixed(3)} s wall, ${m.cpu.toFixed(3)} s CPU`;

/** Runs a command through bash and returns its children's CPU seconds (bash's `times`) and wall seconds. */
function runTimed(command: string[]): { wall: number; cpu: number } {
  const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const t0 = performance.now();
  const out = execFileSync('bash', ['-c', `${quoted} >/dev/null 2>&1; times`], { encoding: 'utf8' });
  const wall = seconds(t0);
  const children = out.trim().split('\n')[1] ?? '';
  const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
  return { wall, cpu };
}

function line(label: string, value: string): void {
  process.stdout.write(`${label.padEnd(58)} ${value}\n`);
}

// ── 1. stretch ───────────────────────────────────────────────────────────────
async function benchStretch(): Promise<void> {
  process.stdout.write('\n== key stretch (1,048,576 SHA-256 rounds over 88 bytes) ==\n');
  const initial = randomBytes(32);
  const salt = randomBytes(16);
  const buf = Buffer.alloc(88);
  buf.set(initial, 32);
  buf.set(salt, 64);
  const createHashRun = await measure(() => {
    for (let i = 0; i < 0x100000; i++) {
      buf.writeUInt32LE(i, 80);
      createHash('sha256').update(buf).digest().copy(buf, 0);
    }
  });
  line('node:crypto createHash per round', fmt(createHashRun));
  const jsRun = await measure(() => stretchKeyJs(initial, salt));
  line('JavaScript loop (Int32 state, reused schedule)', fmt(jsRun));
  const wasmRuns = [];
  for (let i = 0; i < 3; i++) wasmRuns.push(await measure(() => stretchKeyWasm(initial, salt)));
  line('WebAssembly loop (generated, unrolled), first call', fmt(wasmRuns[0]));
  line('WebAssembly loop, best of 3', `${Math.min(...wasmRuns.map((r) => r.cpu)).toFixed(3)} s CPU`);
  const wasm = wasmRuns[0].value;
  if (!wasm || Buffer.compare(Buffer.from(wasm), Buffer.from(jsRun.value)) !== 0 || Buffer.compare(Buffer.from(jsRun.value), buf.subarray(0, 32)) !== 0) {
    throw new Error('stretch implementations disagree');
  }
  const addonRuns = [];
  for (let i = 0; i < 3; i++) addonRuns.push(await measure(() => stretchKeyNative(initial, salt, 0x100000)));
  const addon = addonRuns[0].value;
  if (addon) {
    if (Buffer.compare(Buffer.from(addon), buf.subarray(0, 32)) !== 0) throw new Error('native addon stretch disagrees');
    line('our native addon (SHA256_Transform of Node\'s OpenSSL), first call', fmt(addonRuns[0]));
    line('our native addon, best of 3', `${Math.min(...addonRuns.map((r) => r.cpu)).toFixed(3)} s CPU`);
  } else {
    line('our native addon', 'not built (scripts/build-native.sh): unlocks use WebAssembly');
  }
  const native = nativeStretch(initial, salt, buf.subarray(0, 32));
  if (native !== undefined) {
    if (addon) line('ratio our native addon (first call) / native C loop, CPU', `${(addonRuns[0].cpu / native).toFixed(2)}x (target ≤ 2x)`);
    line('native C loop over OpenSSL SHA256() (cc -O2 -lcrypto)', `${native.toFixed(3)} s CPU`);
    line('ratio WebAssembly (first call) / native, CPU', `${(wasmRuns[0].cpu / native).toFixed(2)}x (the fallback)`);
    line('ratio JavaScript / native, CPU', `${(jsRun.cpu / native).toFixed(2)}x`);
    line('ratio createHash / native, CPU', `${(createHashRun.cpu / native).toFixed(2)}x`);
  } else {
    line('native C loop', 'skipped (no cc or libssl-dev); PEERS.md reference ≈ 0.17 s');
    line('ratio WebAssembly (first call) / 0.17 s', `${(wasmRuns[0].cpu / 0.17).toFixed(2)}x (target ≤ 2x)`);
  }
}

function nativeStretch(initial: Uint8Array, salt: Uint8Array, expected: Uint8Array): number | undefined {
  const src = join(work, 'stretch.c');
  const bin = join(work, 'stretch');
  writeFileSync(src, `#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
int main(int argc, char **argv) {
  unsigned char s[88] = {0};
  for (int i = 0; i < 48; i++) { unsigned int v; sscanf(argv[1] + 2 * i, "%2x", &v); s[32 + i] = (unsigned char)v; }
  struct timespec a, b; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
  for (uint64_t i = 0; i < 0x100000; i++) { memcpy(s + 80, &i, 8); SHA256(s, 88, s); }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
  printf("%.6f ", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
  for (int i = 0; i < 32; i++) printf("%02x", s[i]);
  printf("\\n"); return 0;
}
`);
  const cc = spawnSync('cc', ['-O2', '-o', bin, src, '-lcrypto'], { encoding: 'utf8' });
  if (cc.status !== 0) return undefined;
  const hexIn = Buffer.concat([Buffer.from(initial), Buffer.from(salt)]).toString('hex');
  const [time, digest] = execFileSync(bin, [hexIn], { encoding: 'utf8' }).trim().split(' ');
  if (digest !== Buffer.from(expected).toString('hex')) throw new Error('native stretch disagrees');
  return Number(time);
}

// ── 2. sector crypto ─────────────────────────────────────────────────────────
async function benchSectorCrypto(): Promise<void> {
  process.stdout.write('\n== sector decryption, 64 MiB, 512-byte sectors (MB per CPU second) ==\n');
  const size = 64 << 20;
  const data = randomBytes(size);
  const fvek = randomBytes(64);
  const rate = (m: { cpu: number; wall: number }) => `${(size / MB / m.cpu).toFixed(0)} MB/s CPU (${(size / MB / m.wall).toFixed(0)} MB/s wall)`;
  for (const [name, method] of [['XTS-AES-128', 0x8004], ['AES-CBC-128', 0x8002], ['AES-CBC-128 + diffuser', 0x8000]] as const) {
    const cipher = createSectorCipher(method, fvek, 512)!;
    const buf = new Uint8Array(data);
    cipher.decrypt(buf.subarray(0, 8 << 20), 0); // warm up (the JIT, and the buffer's pages)
    let ours = { wall: Infinity, cpu: Infinity };
    for (let pass = 0; pass < 3; pass++) {
      const run = await measure(() => { for (let at = 0; at < size; at += 4 << 20) cipher.decrypt(buf.subarray(at, at + (4 << 20)), at); });
      if (run.cpu < ours.cpu) ours = run;
    }
    line(`${name}: batched (ours, 4 MiB calls, best of 3)`, rate(ours));
    if (method === 0x8000) continue;
    const iv = Buffer.alloc(16);
    const perSector = await measure(() => {
      for (let at = 0; at < size; at += 512) {
        if (method === 0x8004) {
          iv.writeUInt32LE(at / 512, 0);
          createDecipheriv('aes-128-xts', fvek.subarray(0, 32), iv).update(data.subarray(at, at + 512));
        } else {
          iv.writeUInt32LE(at, 0); // stand-in IV: the cost measured is the per-sector cipher object
          const d = createDecipheriv('aes-128-cbc', fvek.subarray(0, 16), iv);
          d.setAutoPadding(false);
          d.update(data.subarray(at, at + 512));
        }
      }
    });
    line(`${name}: one node:crypto cipher per sector`, rate(perSector));
  }
}

// ── 3. whole volume vs dislocker-file ───────────────────────────────────────
async function gunzipTo(name: string, out: string): Promise<void> {
  const handle = await open(out, 'w');
  let position = 0;
  for await (const chunk of createReadStream(join(FIXTURES, `${name}.bin.gz`)).pipe(createGunzip()) as AsyncIterable<Buffer>) {
    await handle.write(chunk, 0, chunk.length, position);
    position += chunk.length;
  }
  await handle.close();
}

async function prepareFullVolume(name: string, keys: KeyMaterial): Promise<string> {
  const path = join(work, `${name}-full.bin`);
  if (existsSync(path)) return path;
  await gunzipTo(name, `${path}.part`);
  const probe = await FileSource.open(`${path}.part`);
  const volumeSize = (await unlockBitLocker(probe, keys)).size;
  await probe.close();
  execFileSync('truncate', ['-s', String(volumeSize), `${path}.part`]); // the stripped image ends early: give it its full size
  const source = await WritableFileSource.openWritable(`${path}.part`);
  const volume = await unlockBitLocker(source, keys);
  if (!isWritable(volume)) throw new Error('not writable');
  const chunk = 1 << 20;
  for (let at = 0; at < volume.size; at += chunk) {
    const length = Math.min(chunk, volume.size - at);
    try {
      await volume.write(at, randomBytes(length));
    } catch (error) {
      // Megabytes holding FVE metadata or the header backup are refused: leave them as they are.
      if (!(error instanceof PreconditionError)) throw error;
    }
  }
  await volume.flush();
  await source.close();
  execFileSync('mv', [`${path}.part`, path]);
  return path;
}

/** Decrypts the whole volume into the file `out`, 4 MiB at a time through one reused buffer (what a bulk copier does). */
async function decryptToFile(volume: ByteSource, out: string): Promise<void> {
  const handle = await open(out, 'w');
  const buffer = new Uint8Array(4 << 20);
  try {
    for (let at = 0; at < volume.size; at += buffer.length) {
      const bytes = buffer.subarray(0, Math.min(buffer.length, volume.size - at));
      await readInto(volume, at, bytes);
      await handle.write(bytes, 0, bytes.length, at);
    }
  } finally {
    await handle.close();
  }
}

async function benchVolume(name: string, keys: KeyMaterial, dislockerArgs: string[]): Promise<void> {
  if (!existsSync(join(FIXTURES, `${name}.bin.gz`))) {
    line(`${name}`, `skipped: no fixtures at ${FIXTURES}`);
    return;
  }
  const path = await prepareFullVolume(name, keys);
  const source = await FileSource.open(path);
  const unlock = await measure(() => unlockBitLocker(source, keys));
  const volume = unlock.value;
  const hash = createHash('sha256');
  const passes = 3;
  let best = { wall: Infinity, cpu: Infinity };
  for (let pass = 0; pass < passes; pass++) {
    const run = await measure(async () => {
      for (let at = 0; at < volume.size; at += 4 << 20) {
        const bytes = await volume.read(at, Math.min(4 << 20, volume.size - at));
        if (pass === 0) hash.update(bytes);
      }
    });
    if (run.cpu < best.cpu) best = run;
  }
  // The like-for-like figure: what dislocker-file does, decrypting the volume into a plaintext file.
  const ourOut = join(work, `${name}.ours.plain`);
  let toFile = { wall: Infinity, cpu: Infinity };
  for (let pass = 0; pass < passes; pass++) {
    rmSync(ourOut, { force: true });
    const run = await measure(() => decryptToFile(volume, ourOut));
    if (run.cpu < toFile.cpu) toFile = run;
  }
  rmSync(ourOut, { force: true });
  await source.close();
  const mb = volume.size / MB;
  line(`${name} (${volume.info.method}, ${mb.toFixed(0)} MB): unlock (first, not memoised)`, fmt(unlock));
  line(`${name}: ours, 4 MiB sequential reads (best of ${passes})`, `${(mb / best.cpu).toFixed(0)} MB/s CPU (${(mb / best.wall).toFixed(0)} MB/s wall)`);
  const oursTotal = { cpu: unlock.cpu + toFile.cpu, wall: unlock.wall + toFile.wall };
  line(`${name}: ours -> plaintext file, incl. unlock (best of ${passes})`, `${(mb / oursTotal.cpu).toFixed(0)} MB/s CPU (${(mb / oursTotal.wall).toFixed(0)} MB/s wall)`);
  if (spawnSync('sh', ['-c', 'command -v dislocker-file']).status !== 0) {
    line(`${name}: dislocker-file`, 'skipped (not installed)');
    return;
  }
  const out = join(work, `${name}.plain`);
  let theirs = { wall: Infinity, cpu: Infinity };
  let theirsHash = '';
  for (let pass = 0; pass < 2; pass++) {
    rmSync(out, { force: true });
    const run = runTimed(['dislocker-file', '-V', path, ...dislockerArgs, '--', out]);
    if (run.cpu < theirs.cpu) theirs = run;
    if (pass === 0) theirsHash = createHash('sha256').update(execFileSync('cat', [out], { maxBuffer: 1 << 30 })).digest('hex');
  }
  rmSync(out, { force: true });
  // dislocker's time includes its own unlock (for the password volume, its native stretch ≈ 0.1–0.2 s CPU).
  line(`${name}: dislocker-file -> plaintext file (best of 2, incl. its unlock)`, `${(mb / theirs.cpu).toFixed(0)} MB/s CPU (${(mb / theirs.wall).toFixed(0)} MB/s wall)`);
  line(`${name}: ratio ours / dislocker-file, both to a file incl. unlock, CPU`, `${(theirs.cpu / oursTotal.cpu).toFixed(2)}x (target ≥ 2x)`);
  line(`${name}: ratio ours in memory / dislocker-file, CPU (for reference)`, `${(theirs.cpu / best.cpu).toFixed(2)}x`);
  line(`${name}: same plaintext as dislocker`, hash.digest('hex') === theirsHash ? 'yes' : 'NO');
}

// ── 4. generated clear-key volumes: decryption alone, every method ──────────
/**
 * The fixtures above are 66 MB and mostly password-protected, so each side's
 * unlock (a key stretch: native in dislocker, WebAssembly here) weighs on the
 * decryption figure. Here both sides open a clear key (no stretch) on a larger
 * volume made by our BitLocker writer (test-images/, proven against dislocker
 * and cryptsetup by the test suite), for every method, and decrypt all of it
 * to a plaintext file: decryption throughput, like for like.
 */
async function benchGeneratedVolumes(sizeMiB: number): Promise<void> {
  process.stdout.write(`\n== generated clear-key volumes (${sizeMiB} MiB): ours vs dislocker-file, both decrypting to a file ==\n`);
  if (spawnSync('sh', ['-c', 'command -v mkntfs && command -v dislocker-file']).status !== 0) {
    line('generated volumes', 'skipped (mkntfs or dislocker-file not installed)');
    return;
  }
  const { encryptToBitLocker } = await import('@coldfix/test-images');
  const methods = ['aes-xts-128', 'aes-xts-256', 'aes-cbc-128', 'aes-cbc-256', 'aes-cbc-128-diffuser', 'aes-cbc-256-diffuser'] as const;
  for (const method of methods) {
    const path = join(work, `generated-${method}-${sizeMiB}.img`);
    if (!existsSync(path)) {
      execFileSync('truncate', ['-s', `${sizeMiB}M`, `${path}.part`]);
      execFileSync('mkntfs', ['-F', '-Q', '-q', '-s', '512', '-c', '4096', `${path}.part`], { stdio: 'ignore' });
      await encryptToBitLocker(`${path}.part`, 0, sizeMiB << 20, { method, protectors: { clearKey: true }, reserve: 'none' });
      execFileSync('mv', [`${path}.part`, path]);
    }
    const out = join(work, `generated-${method}.plain`);
    // Both sides then read the image from the page cache (whoever ran first would pay the disk).
    execFileSync('dd', [`if=${path}`, 'of=/dev/null', 'bs=4M'], { stdio: 'ignore' });
    let ours = { wall: Infinity, cpu: Infinity };
    let size = 0;
    for (let pass = 0; pass < 3; pass++) {
      rmSync(out, { force: true });
      const run = await measure(async () => {
        const source = await FileSource.open(path);
        try {
          const volume = await unlockBitLocker(source, {});
          size = volume.size;
          await decryptToFile(volume, out);
        } finally {
          await source.close();
        }
      });
      if (run.cpu < ours.cpu) ours = run;
    }
    const oursHash = createHash('sha256').update(execFileSync('cat', [out], { maxBuffer: 1 << 30 })).digest('hex');
    let theirs = { wall: Infinity, cpu: Infinity };
    let theirsHash = '';
    for (let pass = 0; pass < 2; pass++) {
      rmSync(out, { force: true });
      const run = runTimed(['dislocker-file', '-V', path, '-c', '--', out]);
      if (run.cpu < theirs.cpu) theirs = run;
      if (pass === 0) theirsHash = createHash('sha256').update(execFileSync('cat', [out], { maxBuffer: 1 << 30 })).digest('hex');
    }
    // The copy floor both sides pay (read the image, write a file of the same size), same run.
    let floor = { wall: Infinity, cpu: Infinity };
    for (let pass = 0; pass < 3; pass++) {
      rmSync(out, { force: true });
      const run = runTimed(['dd', `if=${path}`, `of=${out}`, 'bs=4M']);
      if (run.cpu < floor.cpu) floor = run;
    }
    rmSync(out, { force: true });
    const mb = size / MB;
    const decryptOnly = (total: number) => Math.max(total - floor.cpu, 1e-3);
    line(`${method}: ours (best of 3)`, `${(mb / ours.cpu).toFixed(0)} MB/s CPU (${(mb / ours.wall).toFixed(0)} MB/s wall)`);
    line(`${method}: dislocker-file (best of 2)`, `${(mb / theirs.cpu).toFixed(0)} MB/s CPU (${(mb / theirs.wall).toFixed(0)} MB/s wall)`);
    line(`${method}: copy floor, dd bs=4M (best of 3)`, `${floor.cpu.toFixed(3)} s CPU`);
    line(`${method}: ratio ours / dislocker-file, CPU, whole job`, `${(theirs.cpu / ours.cpu).toFixed(2)}x${oursHash === theirsHash ? '' : '  PLAINTEXT DIFFERS'}`);
    line(`${method}: ratio of decryption CPU (each minus the copy floor)`, `${(decryptOnly(theirs.cpu) / decryptOnly(ours.cpu)).toFixed(2)}x (target ≥ 2x)`);
  }
}

async function main(): Promise<void> {
  process.stdout.write(`coldfix BitLocker bench — node ${process.version}, load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  // --only stretch,sectors,fixtures,generated runs those sections (default: all).
  const only = args.includes('--only') ? new Set(args[args.indexOf('--only') + 1].split(',')) : undefined;
  const want = (section: string) => !only || only.has(section);
  if (want('stretch')) await benchStretch();
  if (want('sectors')) await benchSectorCrypto();
  if (want('fixtures')) {
    process.stdout.write('\n== whole volume: ours vs dislocker-file, same file, same run ==\n');
    await benchVolume('suspended', {}, ['-c']);
    await benchVolume('aes_128_diffuser', { passwords: ['password12!@'] }, ['-upassword12!@']);
    await benchVolume('aes_256', { passwords: ['password12!@'] }, ['-upassword12!@']);
  }
  if (want('generated')) await benchGeneratedVolumes(Number(args[args.indexOf('--generated-mib') + 1]) || 256);
}

await main();
