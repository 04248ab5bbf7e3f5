/**
 * Never silent: a listing of a truncated or damaged volume is either complete (every path and record of
 * the intact volume's listing) or says it is not: an error, or items in NtfsVolume.skipped, which
 * `coldfix ls` prints as one warning line each and turns into exit 6 (`--json`: an `incomplete` trailer).
 * fast-check over truncations of ntfs-basic (a generated volume, mkntfs + ntfs-3g), MFT records
 * overwritten (random bytes or zeros) and INDX block sectors overwritten. The damaged places are found
 * by their signatures in the raw bytes ("FILE" records, "INDX" blocks), not through our reader.
 * Reference listing: the intact volume's list(), itself held equal to `fls -r -p` by catalog.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemorySource } from '@coldfix/io';
import { NtfsVolume } from '@coldfix/ntfs';
import { ensureImages } from '@coldfix/test-images';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const bin = join(repo, 'cli/bin/coldfix.js');

let bytes: Uint8Array;
let reference: Set<string>;
let records: number[];
let indexSectors: number[];
let work: string;

async function listing(source: Uint8Array, recursive = true): Promise<{ rows: Set<string>; skipped: number; error: Error | null }> {
  const rows = new Set<string>();
  let volume: NtfsVolume | null = null;
  try {
    volume = await NtfsVolume.open(new MemorySource(source));
    for await (const batch of volume.list({ recursive })) for (let i = 0; i < batch.length; i++) rows.add(`${batch.path(i)}|${batch.record[i]}`);
    return { rows, skipped: volume.skippedCount, error: null };
  } catch (error) {
    return { rows, skipped: volume?.skippedCount ?? 0, error: error as Error };
  }
}

beforeAll(async () => {
  const entry = (await ensureImages(['ntfs-basic'])).entries['ntfs-basic']!;
  bytes = new Uint8Array(readFileSync(entry.image));
  const clean = await listing(bytes);
  expect(clean.error).toBeNull();
  expect(clean.skipped).toBe(0);
  reference = clean.rows;
  expect(reference.size).toBeGreaterThan(100);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  records = [];
  indexSectors = [];
  for (let at = 0; at + 1024 <= bytes.length; at += 512) {
    const magic = view.getUint32(at, true);
    // In-use base records ("FILE", flags bit 0, base reference 0): the ones a listing shows.
    if (magic === 0x454c4946 && at % 1024 === 0 && view.getUint16(at + 0x16, true) & 1 && view.getUint32(at + 0x20, true) === 0) records.push(at);
    if (magic === 0x58444e49 && at % 4096 === 0) for (let s = 0; s < 8; s++) indexSectors.push(at + s * 512);
  }
  expect(records.length).toBeGreaterThan(100);
  expect(indexSectors.length).toBeGreaterThan(8);
  work = await mkdtemp(join(tmpdir(), 'coldfix-list-incomplete-'));
}, 600_000);
afterAll(() => (work ? rm(work, { recursive: true, force: true }) : undefined));

type Damage = { kind: 'truncate'; length: number } | { kind: 'record'; at: number; zero: boolean; seed: number } | { kind: 'indx'; at: number; seed: number };

/** Runs `use` on the damaged volume: a prefix, or `bytes` overwritten in place (restored afterwards: no 128 MiB copy per case). */
async function withDamage<T>(d: Damage, use: (volume: Uint8Array) => Promise<T>): Promise<T> {
  if (d.kind === 'truncate') return use(bytes.subarray(0, d.length));
  const length = d.kind === 'record' ? 1024 : 512;
  const saved = bytes.slice(d.at, d.at + length);
  try {
    return await use(damaged(d, bytes));
  } finally {
    bytes.set(saved, d.at);
  }
}

function damaged(d: Exclude<Damage, { kind: 'truncate' }>, copy: Uint8Array): Uint8Array {
  const length = d.kind === 'record' ? 1024 : 512;
  let x = d.seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    copy[d.at + i] = d.kind === 'record' && d.zero ? 0 : x & 0xff;
  }
  return copy;
}

describe('a damaged volume\'s listing is complete or says it is not', { timeout: 1_800_000 }, () => {
  it('fast-check: truncations, MFT records and INDX sectors overwritten (300 volumes)', async () => {
    const damage: fc.Arbitrary<Damage> = fc.oneof(
      fc.integer({ min: 1, max: bytes.length / 512 - 1 }).map((s) => ({ kind: 'truncate' as const, length: s * 512 })),
      fc.record({ i: fc.nat(), zero: fc.boolean(), seed: fc.integer() }).map(({ i, zero, seed }) => ({ kind: 'record' as const, at: records[i % records.length]!, zero, seed })),
      fc.record({ i: fc.nat(), seed: fc.integer() }).map(({ i, seed }) => ({ kind: 'indx' as const, at: indexSectors[i % indexSectors.length]!, seed })),
    );
    let incomplete = 0;
    await fc.assert(
      fc.asyncProperty(damage, async (d) => {
        const got = await withDamage(d, listing);
        if (got.error || got.skipped > 0) {
          incomplete++;
          return;
        }
        // Nothing skipped, no error: every path and record of the intact listing is there.
        const missing = [...reference].filter((row) => !got.rows.has(row));
        expect(missing, JSON.stringify(d)).toEqual([]);
      }),
      { numRuns: 300 },
    );
    // The property is not vacuous: some damage does make listings incomplete.
    expect(incomplete).toBeGreaterThan(10);
  });

  it('coldfix ls -r on a volume with an INDX sector overwritten: a warning per problem, exit 6, --json trailer with the count', async () => {
    // The first INDX block whose sector damage the library reports as skipped.
    let image = '';
    for (const at of indexSectors.filter((_, i) => i % 8 === 0)) {
      const done = await withDamage({ kind: 'indx', at, seed: 12345 }, async (copy) => {
        const got = await listing(copy);
        if (got.error || got.skipped === 0) return false;
        image = join(work, 'damaged.img');
        await writeFile(image, copy);
        return true;
      });
      if (done) break;
    }
    expect(image).not.toBe('');
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((res) =>
        execFile(process.execPath, [bin, ...args], { cwd: repo, maxBuffer: 64 << 20 }, (error, stdout, stderr) => res({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr })),
      );
    const text = await run(['ls', '-r', image]);
    expect(text.code).toBe(6);
    expect(text.stderr).toMatch(/^coldfix: warning: skipped (index-block|record|directory) \(record \d+\): /m);
    expect(text.stderr).toMatch(/coldfix: incomplete: \d+ item\(s\)/);
    const json = await run(['ls', '-r', image, '--json']);
    expect(json.code).toBe(6);
    const last = JSON.parse(json.stdout.trim().split('\n').pop()!) as { incomplete: boolean; skipped: number };
    expect(last.incomplete).toBe(true);
    expect(last.skipped).toBeGreaterThan(0);
  });

  it('verify and repair --dry-run of a volume whose root index lost a block: never clean (incomplete 6; verify: or inconsistent 5, or a typed error from the check, 2)', async () => {
    let image = '';
    for (const at of indexSectors.filter((_, i) => i % 8 === 0)) {
      const done = await withDamage({ kind: 'indx', at, seed: 777 }, async (copy) => {
        const got = await listing(copy, false);
        if (got.error || got.skipped === 0) return false;
        image = join(work, 'root-damaged.img');
        await writeFile(image, copy);
        return true;
      });
      if (done) break;
    }
    expect(image, 'an INDX block of the root directory').not.toBe('');
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((res) =>
        execFile(process.execPath, [bin, ...args], { cwd: repo, maxBuffer: 64 << 20 }, (error, stdout, stderr) => res({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr })),
      );
    const verify = await run(['verify', image, '--json']);
    // The check may also refuse the damaged index outright (a typed error, exit 2).
    expect([2, 5, 6], verify.stdout + verify.stderr).toContain(verify.code);
    if (verify.code !== 2) expect((JSON.parse(verify.stdout) as { result: string }).result).not.toBe('clean');
    const dry = await run(['repair', image, '--dry-run', '--json']);
    expect(dry.code, dry.stdout + dry.stderr).toBe(6);
    expect((JSON.parse(dry.stdout) as { result: string }).result).toBe('incomplete');
  });
});
