/**
 * SIGKILL during deletes: a child process deletes files through the undo
 * journal (JournaledFile) and is killed at a random moment; rolling back must
 * give the original volume byte for byte, every trial. The children import
 * the compiled packages, so the test builds them first (a no-op when current).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { rollbackImage, journalPathFor } from '@coldfix/io';
import { buildVolume, copyVolume } from './write-fixtures.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const child = fileURLToPath(new URL('./write-kill-child.mjs', import.meta.url));
const TRIALS = 6;
const TREE = String.raw`mkdir leaf; for i in $(seq -w 1 150); do echo $i > "leaf/file $i.txt"; done
for i in $(seq 1 6); do head -c 20000 /dev/urandom > "data$i.bin"; done`;
const PATHS = ['/data1.bin', '/leaf/file 010.txt', '/leaf/file 011.txt', '/data2.bin', '/leaf/file 100.txt', '/data3.bin', '/leaf/file 050.txt', '/data4.bin'];

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

function runChild(image: string, killAfterMs: number | null): Promise<{ killed: boolean; lines: string[]; workMs: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, image, ...PATHS], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b));
    p.stderr.on('data', (b: Buffer) => (err += b));
    let timer: NodeJS.Timeout | undefined;
    let opened = 0;
    p.stdout.once('data', () => {
      opened = Date.now();
      if (killAfterMs !== null) timer = setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    });
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === null && code !== 0) reject(new Error(`child exited ${code}: ${err}`));
      else resolve({ killed: signal === 'SIGKILL', lines: out.split('\n').filter(Boolean), workMs: opened ? Date.now() - opened : 0 });
    });
  });
}

describe('deleteFile under SIGKILL, then rollback', () => {
  let base: string;
  let fullMs = 0;
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/ntfs'], { cwd: root, stdio: 'pipe' });
    base = buildVolume('kill', { sizeMiB: 16, tree: TREE });
  });

  it('a full run completes and deletes every path (calibrates the kill window)', async () => {
    const work = copyVolume(base);
    try {
      const r = await runChild(work.path, null);
      fullMs = r.workMs; // from the journal being open to the end: the window the kills aim at
      expect(r.lines.at(-1)).toBe('done');
      expect(r.lines.filter((l) => l.startsWith('deleted'))).toHaveLength(PATHS.length);
    } finally {
      work.dispose();
    }
  });

  it(`${TRIALS} runs killed at random points all roll back byte-identical`, async () => {
    const original = sha(base);
    let interrupted = 0;
    for (let i = 0; i < TRIALS; i++) {
      const work = copyVolume(base);
      try {
        const delay = Math.floor(Math.random() * Math.max(10, fullMs * 0.8));
        const r = await runChild(work.path, delay);
        if (r.killed && r.lines.at(-1) !== 'done') interrupted++;
        if (existsSync(journalPathFor(work.path))) await rollbackImage(work.path);
        expect(sha(work.path), `trial ${i} (kill after ${delay} ms, got ${r.lines.length} lines)`).toBe(original);
      } finally {
        work.dispose();
      }
    }
    // Kills must actually land mid-work, or the trials prove nothing (the window is measured, the load varies).
    expect(interrupted).toBeGreaterThanOrEqual(2);
  });
});
