/**
 * Independent tools for the repair end-to-end tests: qemu-img, dislocker-file, The Sleuth Kit
 * (fls, icat, tsk_recover), ntfs-3g's ntfsls / ntfsfix. Nothing here reads an image with our own
 * code: these are the oracles.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool (argument vector, no shell); resolves with its exit code and output, never rejects on a non-zero exit. */
export function tool(cmd: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { maxBuffer: 256 << 20, env: options.env ?? process.env, timeout: options.timeoutMs ?? 300_000, cwd: options.cwd },
      (error, stdout, stderr) => {
        if (error && typeof (error as NodeJS.ErrnoException).code === 'string') return reject(error); // ENOENT etc.
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs a tool that must succeed. */
export async function mustRun(cmd: string, args: readonly string[], options: Parameters<typeof tool>[2] = {}): Promise<ToolResult> {
  const r = await tool(cmd, args, options);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
  return r;
}

/** SHA-256 of a whole file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** SHA-256 of a tool's stdout (e.g. icat), streamed. */
export function sha256Of(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const hash = createHash('sha256');
    child.stdout.on('data', (d: Buffer) => hash.update(d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(hash.digest('hex')) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });
}

export async function scratchDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `coldfix-${label}-`));
}

/** `qemu-img convert -O raw` (sparse); `format` as qemu names it (`vpc` for VHD). */
export async function toRaw(image: string, out: string, format: 'raw' | 'vpc'): Promise<string> {
  await mustRun('qemu-img', ['convert', '-f', format, '-O', 'raw', image, out]);
  return out;
}

/**
 * The virtual disk of a differencing VHD, parent included, as a raw file. qemu's vpc driver ignores
 * the parent (it reads a differencing child as a lone dynamic VHD), so libvhdi's `vhdimount` (FUSE)
 * does it: it finds the parent beside the child and shows one file per layer, `vhdi1` the parent,
 * the highest number the child's view.
 */
export async function vhdiToRaw(child: string, out: string): Promise<string> {
  const mnt = await scratchDir('vhdimount');
  const proc = spawn('vhdimount', ['-X', 'allow_root', child, mnt], { stdio: 'ignore' });
  try {
    const deadline = Date.now() + 30_000;
    // One file per layer of the chain, parent first (vhdi1): the child's view is the last one.
    let layers: string[] = [];
    while ((layers = (await readdir(mnt).catch(() => [] as string[])).filter((n) => /^vhdi\d+$/.test(n))).length < 2) {
      if (Date.now() > deadline) throw new Error(`vhdimount ${child}: the chain's layers did not appear within 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const last = layers.sort((a, b) => Number(a.slice(4)) - Number(b.slice(4))).pop()!;
    await mustRun('cp', ['--sparse=always', join(mnt, last), out]);
  } finally {
    await tool('umount', [mnt]);
    await new Promise<void>((r) => (proc.exitCode !== null ? r() : proc.once('exit', () => r())));
    await rm(mnt, { recursive: true, force: true });
  }
  return out;
}

/** A BitLocker key as dislocker-file takes it. */
export type DislockerKey = { recoveryPassword: string } | { bekFile: string } | { password: string } | { clearKey: true };

/**
 * The plaintext NTFS volume at [offset, offset+size) of a raw disk, as a file of its own:
 * dislocker-file for BitLocker, `dd conv=sparse` otherwise.
 */
export async function extractVolume(rawDisk: string, offset: number, size: number, out: string, key?: DislockerKey): Promise<string> {
  if (!key) {
    await mustRun('dd', [`if=${rawDisk}`, `of=${out}`, 'bs=1M', `skip=${offset}`, `count=${size}`, 'iflag=skip_bytes,count_bytes', 'conv=sparse', 'status=none']);
    return out;
  }
  const keyArgs =
    'recoveryPassword' in key ? [`-p${key.recoveryPassword}`] : 'bekFile' in key ? ['-f', key.bekFile] : 'password' in key ? [`-u${key.password}`] : ['-c'];
  await mustRun('dislocker-file', ['-V', rawDisk, '-O', String(offset), ...keyArgs, '--', out]);
  return out;
}

export interface FlsEntry {
  type: string;
  inode: number;
  path: string;
  deleted: boolean;
}

/** `fls -r -p [-d] [-o SECTOR] IMAGE`: every name, with `*` marking deleted ones. */
export async function fls(image: string, options: { sector?: number; deletedOnly?: boolean } = {}): Promise<FlsEntry[]> {
  const args = ['-r', '-p', ...(options.deletedOnly ? ['-d'] : []), ...(options.sector !== undefined ? ['-o', String(options.sector)] : []), image];
  const { stdout } = await mustRun('fls', args);
  const out: FlsEntry[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)\s+(\*\s+)?(\d+)(?:-\d+-\d+)?(?:\(realloc\))?:\t(.*)$/.exec(line);
    if (m) out.push({ type: m[1]!, deleted: m[2] !== undefined, inode: Number(m[3]), path: m[4]! });
  }
  return out;
}

/** Allocated regular files' paths per fls (no deleted entries, no streams). */
export function allocatedFiles(entries: FlsEntry[]): string[] {
  return entries.filter((e) => !e.deleted && e.type.startsWith('r/r') && !e.path.includes(':')).map((e) => e.path);
}

/** `tsk_recover -a` every allocated file of a bare volume, then hash them: path → sha256. */
export async function recoverAllHashes(volume: string): Promise<Map<string, string>> {
  const dir = await scratchDir('recover');
  try {
    await mustRun('tsk_recover', ['-a', volume, dir]);
    const out = new Map<string, string>();
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.isFile()) out.set(relative(dir, p), await sha256File(p));
      }
    };
    await walk(dir);
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `ntfsls -R` of a bare volume: every listed path (`/dir/name`). */
export async function ntfslsAll(volume: string): Promise<Set<string>> {
  const { stdout } = await mustRun('ntfsls', ['-R', volume]);
  const out = new Set<string>();
  let dir: string | null = null;
  for (const line of stdout.split('\n')) {
    if (line === '') {
      dir = null;
      continue;
    }
    if (dir === null && line.startsWith('/') && line.endsWith(':')) {
      dir = line.slice(0, -1);
      continue;
    }
    if (dir !== null && line !== '.' && line !== '..') out.add(`${dir === '/' ? '' : dir}/${line}`);
  }
  return out;
}

/** `ntfsfix -n` (no-action check): exit 0 and no complaint. */
export async function ntfsfixClean(volume: string): Promise<{ ok: boolean; output: string }> {
  const r = await tool('ntfsfix', ['-n', volume]);
  const output = r.stdout + r.stderr;
  return { ok: r.code === 0 && /processed successfully/.test(output), output };
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}
