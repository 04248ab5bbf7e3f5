/**
 * Replay on 2,000 mutated journals: a real Windows volume (fox-it
 * ntfs-cloud.bin, unclean 2.0 $LogFile) seen through an overlay whose
 * $LogFile bytes are mutated (restart pages, copy and record page headers,
 * record headers: LSNs, lengths, operation codes) and whose writes are only
 * recorded. Each replay either succeeds writing only the two restart pages
 * (and MFT records it redid) or throws a typed error having written nothing;
 * none hangs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColdfixError, FileSource, type SourceInfo, type WritableByteSource } from '@coldfix/io';
import { NtfsVolume, findAttribute, replayLogFile, readVolumeLogFile } from '../src/index.js';
import { fixturesRoot } from './helpers/fixtures.js';

const gz = join(fixturesRoot, 'fox-it-dissect.ntfs', 'ntfs-cloud.bin.gz');
const strict = process.env.COLDFIX_REQUIRE_ORACLES === '1';

/** The base device with [logAt, logAt + log.length) replaced by `log`; writes are recorded, not made. */
class LogOverlay implements WritableByteSource {
  readonly writable = true as const;
  readonly writes: Array<{ offset: number; length: number }> = [];
  log: Uint8Array = new Uint8Array(0);
  constructor(private readonly base: FileSource, private readonly logAt: number) {}
  get size(): number { return this.base.size; }
  get blockSize(): number { return this.base.blockSize; }
  /** The base bytes each run reads again (boot sector, MFT records, $LogFile extent): read once. */
  private readonly cache = new Map<string, Uint8Array>();
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset >= this.logAt && offset + length <= this.logAt + this.log.length) return this.log.slice(offset - this.logAt, offset - this.logAt + length);
    const key = `${offset}:${length}`;
    let base = this.cache.get(key);
    if (!base) { base = await this.base.read(offset, length); if (this.cache.size < 4096) this.cache.set(key, base); }
    const out = base.slice();
    const from = Math.max(offset, this.logAt);
    const to = Math.min(offset + length, this.logAt + this.log.length);
    if (from < to) out.set(this.log.subarray(from - this.logAt, to - this.logAt), from - offset);
    return out;
  }
  async write(offset: number, data: Uint8Array): Promise<void> { this.writes.push({ offset, length: data.length }); }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  describe(): SourceInfo { return { kind: 'overlay' }; }
}

describe.skipIf(!existsSync(gz) && !strict)('replay on mutated journals of ntfs-cloud.bin', () => {
  let work = '';
  let file: FileSource;
  let logAt = 0;
  let original: Uint8Array;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'coldfix-replay-mut-'));
    const image = join(work, 'cloud.bin');
    execFileSync('bash', ['-c', 'gunzip -c "$1" | cp --sparse=always /dev/stdin "$2"', 'x', gz, image]);
    file = await FileSource.open(image);
    const volume = await NtfsVolume.open(file);
    const data = findAttribute(await volume.readRecord(2), 0x80, '')!;
    expect(data.runs.length).toBe(1); // one run: the overlay replaces one device range
    logAt = data.runs[0].lcn! * volume.clusterSize;
    original = await readVolumeLogFile(volume);
  }, 120_000);
  afterAll(async () => { await file?.close(); rmSync(work, { recursive: true, force: true }); });

  it('2,000 mutations: success writing only the restart pages, or a typed error and no write', async () => {
    const overlay = new LogOverlay(file, logAt);
    overlay.log = original.slice();
    // Where the replay looks: restart pages, the 2.0 fast copies' headers, and the home page of the last records (0x2d000).
    const spot = fc.oneof(
      fc.integer({ min: 0, max: 0x1fff }),
      fc.tuple(fc.integer({ min: 2, max: 33 }), fc.integer({ min: 0, max: 0x7f })).map(([p, o]) => p * 4096 + o),
      fc.integer({ min: 0x2d000, max: 0x2dfff }),
      fc.integer({ min: 0, max: original.length - 1 }),
    );
    let errors = 0;
    let successes = 0;
    // One volume for all runs: only $LogFile's bytes change between them, and the replay reads them afresh each time.
    const volume = await NtfsVolume.open(overlay);
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(spot, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), async (edits) => {
      // One working copy, mutated in place and restored after each run (a fresh 5 MB copy per run costs more than the replay here).
      const saved = edits.map(([at]) => [at, overlay.log[at]] as const);
      for (const [at, v] of edits) overlay.log[at] = v;
      overlay.writes.length = 0;
      try {
        await replayLogFile(volume);
        successes++;
        // Writes: the two restart pages, and whole MFT records a redo changed.
        for (const w of overlay.writes) expect((w.offset >= logAt && w.offset + w.length <= logAt + 8192) || w.length === volume.recordSize).toBe(true);
      } catch (error) {
        if (!(error instanceof ColdfixError)) throw error;
        errors++;
        expect(overlay.writes).toEqual([]);
      } finally {
        for (const [at, v] of saved.reverse()) overlay.log[at] = v;
      }
    }), { numRuns: 2000 });
    expect(errors + successes).toBe(2000);
    expect(errors).toBeGreaterThan(0);
  }, 1_800_000);
});
