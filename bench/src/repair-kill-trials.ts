/**
 * SIGKILL trials for the whole repair, through the CLI as users run it.
 *
 *   npx tsc -b bench cli && node bench/dist/repair-kill-trials.js [trials=30] [--image raw|vhd|vhdx] [--max-delay SECONDS]
 *
 * `--image vhdx`: the raw sample converted by `qemu-img convert -O vhdx` (dynamic); after each kill, before
 * the rollback, a scratch copy of the killed file must open in qemu (`qemu-img check -r all`, which
 * replays a pending VHDX log as Hyper-V would) and check clean.
 *
 * Each trial copies the catalog's windows-sample (raw, or its dynamic VHD) sparsely, starts
 * `node cli/bin/coldfix.js repair COPY --json` and SIGKILLs it after a random delay in
 * [0, --max-delay) (default: 1.5 times one measured repair, so most kills land mid-repair: during
 * the plan, the quarantine, the journaled deletes, or the verification); then, when a journal exists,
 * `coldfix rollback COPY`; then compares the copy's SHA-256 with the original's. Every trial must
 * end byte-identical (exit 1 otherwise). A kill during the plan must leave no journal (the plan
 * shares the journaled open with the write, and the journal appears only at the first write).
 *
 * Complements kill-trials.ts (the journal alone, at scale). Like it, SIGKILL tests the order of
 * operations, not power loss (docs/journal.md).
 */
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(here, '../..');
const coldfix = join(repo, 'cli/bin/coldfix.js');
const work = join(repo, 'bench/out/repair-kill');

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function run(argv: string[], killAfterMs?: number): Promise<{ code: number | null; killed: boolean; ms: number }> {
  return new Promise((done) => {
    const started = performance.now();
    const child = spawn(process.execPath, argv, { stdio: 'ignore' });
    let killed = false;
    const timer = killAfterMs === undefined ? null : setTimeout(() => (killed = child.kill('SIGKILL')), killAfterMs);
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      done({ code, killed: killed && code === null, ms: performance.now() - started });
    });
  });
}

async function main(): Promise<void> {
  const trials = Number(args.find((a) => /^\d+$/.test(a)) ?? 30);
  const kind = option('--image') ?? 'raw';
  const { ensureImages } = await import('@coldfix/test-images');
  const catalog = await ensureImages(['windows-sample', 'windows-sample-vhd']);
  mkdirSync(work, { recursive: true });
  let source = catalog.entries[kind === 'vhd' ? 'windows-sample-vhd' : 'windows-sample']!.image;
  if (kind === 'vhdx') {
    const vhdx = join(work, 'source.vhdx');
    if (!existsSync(vhdx)) execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vhdx', '-o', 'subformat=dynamic', source, vhdx]);
    source = vhdx;
  }
  const copy = join(work, kind === 'vhd' ? 'disk.vhd' : kind === 'vhdx' ? 'disk.vhdx' : 'disk.img');
  let qemuOpened = 0;
  const fresh = () => {
    rmSync(copy, { force: true });
    rmSync(`${copy}.coldfix-journal`, { force: true });
    rmSync(`${copy}.coldfix-quarantine`, { recursive: true, force: true });
    execFileSync('cp', ['--sparse=always', source, copy]);
  };
  const original = await sha256(source);
  fresh();
  const full = await run([coldfix, 'repair', copy, '--json']);
  const maxDelay = Number(option('--max-delay') ?? (1.5 * full.ms) / 1000);
  process.stdout.write(`one repair: ${(full.ms / 1000).toFixed(2)} s (exit ${full.code}); kills at random in [0, ${maxDelay.toFixed(2)}) s\n`);
  let identical = 0;
  let killed = 0;
  let journals = 0;
  let killedWithoutJournal = 0;
  for (let t = 0; t < trials; t++) {
    fresh();
    const delay = Math.random() * maxDelay * 1000;
    const r = await run([coldfix, 'repair', copy, '--json'], delay);
    if (r.killed) killed++;
    if (kind === 'vhdx') {
      const probe = join(work, 'probe.vhdx');
      execFileSync('cp', ['--sparse=always', copy, probe]);
      try {
        execFileSync('qemu-img', ['check', '-r', 'all', probe], { stdio: 'pipe' });
        qemuOpened++;
      } catch (error) {
        process.stdout.write(`trial ${t}: qemu-img check -r all failed after a kill at ${delay.toFixed(0)} ms: ${String((error as { stderr?: Buffer }).stderr ?? error)}\n`);
      } finally {
        rmSync(probe, { force: true });
      }
    }
    if (existsSync(`${copy}.coldfix-journal`)) {
      journals++;
      const rb = await run([coldfix, 'rollback', copy]);
      if (rb.code !== 0) process.stdout.write(`trial ${t}: rollback exited ${rb.code}\n`);
    } else if (r.killed) {
      killedWithoutJournal++;
    }
    if ((await sha256(copy)) === original) identical++;
    else process.stdout.write(`trial ${t}: NOT byte-identical (killed after ${delay.toFixed(0)} ms)\n`);
  }
  fresh();
  rmSync(work, { recursive: true, force: true });
  process.stdout.write(
    `repair kill trials (${kind}): ${identical}/${trials} byte-identical after rollback; ${killed} killed mid-run ` +
      `(${killedWithoutJournal} before any write: no journal, image untouched), ${journals} rolled back from a journal` +
      (kind === 'vhdx' ? `; qemu opened and checked the killed file clean in ${qemuOpened}/${trials}` : '') +
      '\n',
  );
  if (identical !== trials || (kind === 'vhdx' && qemuOpened !== trials)) process.exitCode = 1;
}

await main();
