/**
 * How a batch shows its progress. On a terminal (stderr is a TTY, no --json): a live bar (cli-progress)
 * with images done/total, repaired/clean/affected/failed, MB read and ETA. Off a terminal: one line per
 * image on stdout. `--json`: NDJSON events on stdout (`start`, `image` with the full result line,
 * `summary`). `--quiet`: nothing but the exit code (and errors on stderr).
 */
import type { BatchSummary, ResultLine } from '@coldfix/batch';
import { printJsonLine } from '../output.js';

export type ProgressMode = 'bar' | 'lines' | 'json' | 'quiet';

export function progressMode(options: { json?: boolean; quiet?: boolean }): ProgressMode {
  if (options.quiet) return 'quiet';
  if (options.json) return 'json';
  return process.stderr.isTTY ? 'bar' : 'lines';
}

export interface Progress {
  start(total: number, skipped: number): void;
  image(line: ResultLine): void;
  note(text: string): void;
  end(summary: BatchSummary): void;
}

interface Bar {
  start(total: number, value: number, payload: Record<string, unknown>): void;
  update(value: number, payload: Record<string, unknown>): void;
  stop(): void;
}

export async function createProgress(mode: ProgressMode): Promise<Progress> {
  let bar: Bar | null = null;
  if (mode === 'bar') {
    // Loaded only for a terminal: the bar library costs nothing to every other run.
    const { default: cliProgress } = await import('cli-progress');
    bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: '{bar} {value}/{total} images | {repaired} repaired {clean} clean {affected} affected {failed} failed | {mb} MB read | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    ) as Bar;
  }
  const counts = { repaired: 0, clean: 0, affected: 0, failed: 0 };
  let bytes = 0;
  let done = 0;
  const payload = () => ({ ...counts, mb: (bytes / 1e6).toFixed(1) });
  return {
    start(total, skipped) {
      if (mode === 'json') printJsonLine({ event: 'start', images: total, skipped });
      else if (bar) bar.start(total, 0, payload());
      else if (mode === 'lines') process.stdout.write(`batch: ${total} image(s) to run${skipped ? `, ${skipped} skipped` : ''}\n`);
    },
    image(line) {
      done++;
      bytes += line.bytesRead;
      if (line.result === 'repaired' || line.result === 'affected') counts[line.result]++;
      else if (line.result === 'clean' || line.result === 'info') counts.clean++;
      else counts.failed++;
      if (mode === 'json') printJsonLine({ event: 'image', ...line });
      else if (bar) bar.update(done, payload());
      else if (mode === 'lines') process.stdout.write(`${describeLine(line)}\n`);
    },
    note(text) {
      if (mode === 'json') printJsonLine({ event: 'note', message: text });
      else if (mode !== 'quiet') process.stderr.write(`${bar ? '\n' : ''}coldfix batch: ${text}\n`);
    },
    end(summary) {
      bar?.stop();
      if (mode === 'json') printJsonLine({ event: 'summary', ...summary });
      else if (mode !== 'quiet') process.stdout.write(`${describeSummary(summary)}\n`);
    },
  };
}

export function describeLine(line: ResultLine): string {
  if (line.result === 'error') {
    const code = line.error && 'code' in line.error ? ` [${line.error.code}]` : '';
    return `error    ${line.image}: ${line.error?.message ?? 'unknown error'}${code}`;
  }
  return `${line.result.padEnd(8)} ${line.image} (${line.action}, ${line.seconds.toFixed(2)} s)${line.rolledBack ? ' after rolling back an unfinished journal' : ''}`;
}

export function describeSummary(s: BatchSummary): string {
  const counts = Object.entries(s.results).map(([k, v]) => `${v} ${k}`).join(', ') || 'none run';
  const skips = [s.skipped.resumed ? `${s.skipped.resumed} already done` : '', s.skipped.sharedParent ? `${s.skipped.sharedParent} shared parent(s) not written` : '', s.skipped.notStarted ? `${s.skipped.notStarted} not started (interrupted)` : '']
    .filter(Boolean)
    .join(', ');
  const lines = [`batch: ${s.images} image(s): ${counts}${skips ? `; ${skips}` : ''}; ${(s.bytesRead / 1e6).toFixed(1)} MB read, ${s.seconds.toFixed(1)} s`];
  for (const f of s.failures) {
    const why = f.error ? `${'code' in f.error ? `${f.error.code}: ` : ''}${f.error.message}` : (f.messages ?? []).join('; ');
    lines.push(`  ${f.result} ${f.image}: ${why}`);
  }
  return lines.join('\n');
}
