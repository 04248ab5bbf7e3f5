/**
 * Test helpers: scratch files, running the oracle tools, parsing their output.
 * Expected values come from sfdisk --json, mmls and sgdisk, never from our reader.
 */
import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSource } from '@coldfix/io';
import { realFixturesDir } from '@coldfix/test-images';

export const REAL = realFixturesDir();

export function scratchDir(prefix: string): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `coldfix-partitions-${prefix}-`));
  return { dir, path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs a command that may exit non-zero or warn on stderr (sgdisk -v); returns stdout + stderr. */
export function runAll(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  return `${r.stdout}${r.stderr}`;
}

/** Sparse file of `size` bytes. */
export function sparseFile(path: string, size: number): void {
  run('truncate', ['-s', String(size), path]);
}

/** The first `bytes` of a gzipped fixture, into `out`. */
export function gunzipHead(gz: string, out: string, bytes: number): void {
  execSync(`zcat '${gz}' | head -c ${bytes} > '${out}'`, { shell: '/bin/bash', stdio: ['ignore', 'ignore', 'ignore'] });
}

export async function withFile<T>(path: string, fn: (source: FileSource) => Promise<T>): Promise<T> {
  const source = await FileSource.open(path);
  try {
    return await fn(source);
  } finally {
    await source.close();
  }
}

export interface SfdiskPartition {
  node: string;
  start: number;
  size: number;
  type: string;
  uuid?: string;
  name?: string;
  attrs?: string;
  bootable?: boolean;
}
export interface SfdiskTable {
  label: 'dos' | 'gpt';
  id: string;
  sectorsize: number;
  firstlba?: number;
  lastlba?: number;
  partitions: SfdiskPartition[];
}

export function sfdiskJson(path: string): SfdiskTable {
  return (JSON.parse(run('sfdisk', ['--json', path])) as { partitiontable: SfdiskTable }).partitiontable;
}

/** Partition number from an sfdisk node name ("/tmp/x.img5" → 5, "/dev/loop0p2" → 2). */
export function nodeIndex(node: string): number {
  return Number(/(\d+)$/.exec(node)![1]);
}

export interface MmlsRow {
  slot: string;
  start: number;
  length: number;
  description: string;
}

/** mmls rows that are partitions (not Meta, not Unallocated). */
export function mmlsPartitions(path: string, blockSize?: number): MmlsRow[] {
  const out = run('mmls', [...(blockSize ? ['-b', String(blockSize)] : []), path]);
  const rows: MmlsRow[] = [];
  for (const line of out.split('\n')) {
    const m = /^\d+:\s+(\d{3}(?::\d{3})?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m) rows.push({ slot: m[1], start: Number(m[2]), length: Number(m[4]), description: m[5] });
  }
  return rows;
}

/** True when a loop device with 4 KiB logical sectors can be set up here (root, /dev/loop*). */
export function loopAvailable(): boolean {
  try {
    run('losetup', ['--find']);
    return true;
  } catch {
    return false;
  }
}
