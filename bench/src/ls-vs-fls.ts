/**
 * `coldfix ls -r` against The Sleuth Kit's `fls -r -p` and ntfs-3g's `ntfsls -R`
 * (names only, from the indexes) and `ntfsls -R -l -a` (sizes and times)
 * on volumes of at least 200,000 files (the catalog's `ntfs-large` and
 * `ntfs-windows-large`, built on demand), in the same run, alternating the tools; prints entries/s, wall and
 * CPU seconds, the ratios of each coldfix row to each peer, the load average
 * before and after, `uptime`, and the in-process phases of `ls -r` (open, list() alone,
 * list() with the ls formatting into a discarding sink) measured in a child
 * process each round (cold JIT, as the CLI runs).
 *
 * Rows: `coldfix ls -r`, the same with COLDFIX_LIST_PARALLEL=1 (the $MFT
 * decoded in a worker thread), `ls -r --deleted --json`.
 *
 * Without IMAGE it runs two volumes in turn: `ntfs-large` (200 directories of
 * 1,000 tiny files) and `ntfs-windows-large` (a Windows 10 system volume at
 * full scale, ~229k names with directories of 15-20k entries, where fls is
 * much slower per entry), and ends with a line per volume saying whether the
 * issue's targets are met (ls -r >= 2x fls -r -p wall; ls -r faster than
 * ntfsls -R).
 *
 *   npx tsc -b bench && node bench/dist/ls-vs-fls.js [IMAGE] [--rounds N]
 */
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureImages, loadCatalog } from '@coldfix/test-images';

const cli = fileURLToPath(new URL('../../cli/bin/coldfix.js', import.meta.url));

interface Sample {
  wall: number;
  cpu: number;
  lines: number;
}

/** Runs `cmd` under /usr/bin/time, counting stdout lines; returns wall and CPU (user+sys) seconds. */
function measure(cmd: string, args: string[], env?: Record<string, string>): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%U %S', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - start) / 1e9;
      const last = stderr.trim().split('\n').pop() ?? '';
      const [user, sys] = last.split(' ').map(Number);
      if (code !== 0) return reject(new Error(`${cmd} exited ${code}: ${stderr.slice(-500)}`));
      resolve({ wall, cpu: (user || 0) + (sys || 0), lines });
    });
  });
}

const median = (values: number[]): number => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];

interface Phases {
  open: number;
  list: number;
  listAndFormat: number;
  entries: number;
}

/**
 * In-process phases of `ls -r` (this script run with `--phases IMAGE`, one child process per
 * sample): open, list() alone, then list() again with the ls line formatting (the JIT warm from
 * the first), each in ms by performance.now().
 */
async function phases(image: string): Promise<void> {
  const { openImage } = await import('@coldfix/volumes');
  const format = (await import(new URL('../../cli/dist/listing-format.js', import.meta.url).href)) as {
    ByteOutput: new (stream: unknown) => { drain(): Promise<void>; end(): Promise<void> };
    writeLsLines(out: unknown, batch: unknown): void;
  };
  let t = performance.now();
  const opened = await openImage(image, { writable: false });
  const volume = await opened.ntfs();
  const open = performance.now() - t;
  t = performance.now();
  let entries = 0;
  for await (const batch of volume.list({ recursive: true })) entries += batch.length;
  const list = performance.now() - t;
  const sink = { on() {}, write(_chunk: Uint8Array, done?: () => void) { done?.(); return true; } };
  const out = new format.ByteOutput(sink);
  t = performance.now();
  for await (const batch of volume.list({ recursive: true })) {
    format.writeLsLines(out, batch);
    await out.drain();
  }
  await out.end();
  const listAndFormat = performance.now() - t;
  await opened.close();
  process.stdout.write(`${JSON.stringify({ open, list, listAndFormat, entries } satisfies Phases)}\n`);
}

function runPhases(image: string): Promise<Phases> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--phases', image], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(text) as Phases) : reject(new Error(`phases exited ${code}`))));
  });
}

const load = async (): Promise<string> => (await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ');

/** What issue 3 asks of one volume: `ls -r` at least 2x faster than `fls -r -p`, and faster than `ntfsls -R` (wall). */
interface Targets {
  label: string;
  entries: number;
  vsFls: number;
  vsNtfsls: number;
}

const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
const targetLine = (t: Targets): string =>
  `targets (issue 3) on ${t.label} (${t.entries} lines): ls -r vs fls -r -p ${t.vsFls.toFixed(2)}x wall (>= 2x: ${met(t.vsFls >= 2)}); ` +
  `ls -r vs ntfsls -R ${t.vsNtfsls.toFixed(2)}x wall (> 1x: ${met(t.vsNtfsls > 1)})`;

/** Runs every tool `rounds` times on `image` (alternating), prints the table, ratios, phases and the targets. */
async function benchImage(label: string, image: string, rounds: number): Promise<Targets> {
  const tools: Array<{ name: string; cmd: string; args: string[]; env?: Record<string, string> }> = [
    { name: 'coldfix ls -r', cmd: process.execPath, args: [cli, 'ls', image, '-r'] },
    { name: 'coldfix ls -r (worker scan)', cmd: process.execPath, args: [cli, 'ls', image, '-r'], env: { COLDFIX_LIST_PARALLEL: '1' } },
    { name: 'coldfix ls -r --deleted --json', cmd: process.execPath, args: [cli, 'ls', image, '-r', '--deleted', '--json'] },
    { name: 'fls -r -p', cmd: 'fls', args: ['-r', '-p', image] },
    // Names only, straight from the $I30 indexes (no MFT record read).
    { name: 'ntfsls -R', cmd: 'ntfsls', args: ['-R', image] },
    // Sizes and times: reads every record, the ntfsls mode comparable to ls -r.
    { name: 'ntfsls -R -l -a', cmd: 'ntfsls', args: ['-R', '-l', '-a', image] },
  ];
  const samples = new Map<string, Sample[]>(tools.map((t) => [t.name, []]));
  const phaseSamples: Phases[] = [];
  const loadBefore = await load();
  for (let round = 0; round < rounds; round++) {
    for (const tool of tools) samples.get(tool.name)!.push(await measure(tool.cmd, tool.args, tool.env));
    phaseSamples.push(await runPhases(image));
  }
  process.stdout.write(`\n== ${label}: image ${image}, ${rounds} rounds, median of each (load average before ${loadBefore}, after ${await load()})\n`);
  const rows = tools.map((t) => {
    const s = samples.get(t.name)!;
    const wall = median(s.map((x) => x.wall));
    const cpu = median(s.map((x) => x.cpu));
    const lines = s[0].lines;
    return { name: t.name, wall, cpu, lines, rate: lines / wall };
  });
  for (const r of rows) {
    process.stdout.write(`${r.name.padEnd(32)} ${String(r.lines).padStart(8)} lines  ${r.wall.toFixed(2).padStart(7)} s wall  ${r.cpu.toFixed(2).padStart(7)} s cpu  ${Math.round(r.rate).toString().padStart(8)} entries/s\n`);
  }
  const peers = rows.filter((r) => !r.name.startsWith('coldfix'));
  process.stdout.write('ratios, peer time / coldfix time (higher = coldfix faster):\n');
  for (const ours of rows.filter((r) => r.name.startsWith('coldfix'))) {
    for (const r of peers) {
      process.stdout.write(`  ${ours.name.padEnd(32)} vs ${r.name.padEnd(16)} ${(r.wall / ours.wall).toFixed(2).padStart(6)}x wall ${(r.cpu / ours.cpu).toFixed(2).padStart(6)}x cpu\n`);
    }
  }
  const m = (f: (p: Phases) => number): string => median(phaseSamples.map(f)).toFixed(0);
  process.stdout.write(`in-process phases of ls -r (median ms, cold JIT): open ${m((p) => p.open)}, list() ${m((p) => p.list)}, list() again + ls formatting ${m((p) => p.listAndFormat)} (${phaseSamples[0]?.entries} entries)\n`);
  const row = (name: string) => rows.find((r) => r.name === name)!;
  const ls = row('coldfix ls -r');
  const targets: Targets = { label, entries: ls.lines, vsFls: row('fls -r -p').wall / ls.wall, vsNtfsls: row('ntfsls -R').wall / ls.wall };
  process.stdout.write(`${targetLine(targets)}\n`);
  process.stdout.write(`uptime: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}\n`);
  return targets;
}

/** The benchmark volumes run when no image is named (built on demand; bench-only catalog entries). */
const VOLUMES = ['ntfs-large', 'ntfs-windows-large'];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--phases') return phases(args[1]);
  const roundsAt = args.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 3;
  const image = args.find((a, i) => !a.startsWith('--') && (roundsAt < 0 || i !== roundsAt + 1));
  const targets: Targets[] = [];
  if (image) targets.push(await benchImage(image, image, rounds));
  else {
    for (const name of VOLUMES) {
      let catalog = await loadCatalog().catch(() => null);
      if (!catalog?.entries[name]) catalog = await ensureImages([name]);
      targets.push(await benchImage(name, catalog.entries[name].image, rounds));
    }
  }
  process.stdout.write('\nsummary:\n');
  for (const t of targets) process.stdout.write(`  ${targetLine(t)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
