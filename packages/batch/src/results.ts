/**
 * The results file: one JSON line per finished image, appended with one write(2) of the whole line
 * and an fsync, so a killed batch leaves whole lines, or at worst one torn last line that the reader
 * reports and ignores. `--resume` reads it and skips keys whose line is final.
 */
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { LimitExceededError, ioErrorFrom } from '@coldfix/io';
import type { ResultLine } from './types.js';

export const MAX_RESULTS_BYTES = 1 << 30;

export interface ReadResults {
  /** The last final line per key (and per `keyAfter`: the image as that work left it). */
  final: Map<string, ResultLine>;
  lines: number;
  /** A last line without its newline or not parseable (a write cut by a kill): ignored. */
  torn: boolean;
  /** Other unparseable lines (1-based), ignored. */
  badLines: number[];
}

/** Reads a results file; a missing file is an empty one. */
export async function readResults(path: string): Promise<ReadResults> {
  const out: ReadResults = { final: new Map(), lines: 0, torn: false, badLines: [] };
  const info = await stat(path).catch(() => null);
  if (!info) return out;
  if (info.size > MAX_RESULTS_BYTES) throw new LimitExceededError(`results file ${path} is above ${MAX_RESULTS_BYTES} bytes`, { code: 'BATCH_RESULTS_TOO_LARGE', layer: 'batch', details: { size: info.size } });
  const text = await readFile(path, 'utf8').catch((error) => {
    throw ioErrorFrom(error, path, 'read results');
  });
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  if (last !== '') out.torn = true;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    out.lines++;
    try {
      const value = JSON.parse(line) as ResultLine;
      if (typeof value.key !== 'string') throw new Error('no key');
      if (value.final) {
        out.final.set(value.key, value);
        if (typeof value.keyAfter === 'string') out.final.set(value.keyAfter, value);
      }
    } catch {
      out.badLines.push(i + 1);
    }
  });
  return out;
}

/** Appends result lines to one file: one write per line, each followed by fsync. */
export class ResultsWriter {
  private constructor(private readonly handle: FileHandle, readonly path: string) {}

  /** Opens for append. A torn last line (no newline) is closed with a newline first, so the next line stands alone. */
  static async open(path: string): Promise<ResultsWriter> {
    const handle = await open(path, 'a+').catch((error) => {
      throw ioErrorFrom(error, path, 'open results');
    });
    const { size } = await handle.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await handle.write('\n');
    }
    return new ResultsWriter(handle, path);
  }

  private chain: Promise<void> = Promise.resolve();

  /** Appends one line (serialised with the writes before it); resolves once it is durable. */
  append(line: ResultLine): Promise<void> {
    const bytes = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8');
    const next = this.chain.then(async () => {
      await this.handle.write(bytes, 0, bytes.length);
      await this.handle.sync();
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.handle.close();
  }
}
