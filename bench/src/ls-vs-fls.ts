/**
 * `coldfix ls -r` against The Sleuth Kit's `fls -r -p` and ntfs-3g's `ntfsls -R`
 * (names only, from the indexes) and `ntfsls -R -l -a` (sizes and times)
 * on a volume of at least 200,000 files (the catalog's `ntfs-large`, built on
 * demand), in the same run, alternating the tools; prints entries/s, CPU
 * seconds and ratios.
 *
 *   npx tsc -b bench && node bench/dist/ls-vs-fls.js [IMAGE] [--rounds N]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureImages, loadCatalog } from '@coldfix/test-images';

const cli = fileURLToPath(new URL('../../cli/bin/coldfix.js', import.meta.url));

interface Sample {
  wall: number;
  cpu: number;
  lines: number;
}

/** Runs `cmd` under /usr/bin/time, counting stdout lines; returns wall and CPU (user+sys) seconds. */
function measure(cmd: string, args: string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%U %S', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const roundsAt = args.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 3;
  let image = args.find((a, i) => !a.startsWith('--') && (roundsAt < 0 || i !== roundsAt + 1));
  if (!image) {
    let catalog = await loadCatalog().catch(() => null);
    if (!catalog?.entries['ntfs-large']) catalog = await ensureImages(['ntfs-large']);
    image = catalog.entries['ntfs-large'].image;
  }
  const tools: Array<{ name: string; cmd: string; args: string[] }> = [
    { name: 'coldfix ls -r', cmd: process.execPath, args: [cli, 'ls', image, '-r'] },
    { name: 'coldfix ls -r --deleted --json', cmd: process.execPath, args: [cli, 'ls', image, '-r', '--deleted', '--json'] },
    { name: 'fls -r -p', cmd: 'fls', args: ['-r', '-p', image] },
    // Names only, straight from the $I30 indexes (no MFT record read).
    { name: 'ntfsls -R', cmd: 'ntfsls', args: ['-R', image] },
    // Sizes and times: reads every record, the ntfsls mode comparable to ls -r.
    { name: 'ntfsls -R -l -a', cmd: 'ntfsls', args: ['-R', '-l', '-a', image] },
  ];
  const samples = new Map<string, Sample[]>(tools.map((t) => [t.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const tool of tools) samples.get(tool.name)!.push(await measure(tool.cmd, tool.args));
  }
  process.stdout.write(`image ${image}, ${rounds} rounds, median of each (load average ${(await import('node:os')).loadavg()[0].toFixed(1)})\n`);
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
  for (const ours of rows.filter((r) => r.name.startsWith('coldfix'))) {
    for (const r of peers) {
      process.stdout.write(`${ours.name} vs ${r.name}: ${(r.wall / ours.wall).toFixed(2)}x wall, ${(r.cpu / ours.cpu).toFixed(2)}x cpu (higher = coldfix faster)\n`);
    }
  }
  process.stdout.write(`uptime: ${(await import('node:child_process')).execFileSync('uptime', { encoding: 'utf8' }).trim()}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
