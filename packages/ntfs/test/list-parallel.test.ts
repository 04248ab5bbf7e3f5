/**
 * list() with the $MFT decoded by a worker thread (parallel-scan.ts) against
 * list() decoded on the calling thread (itself compared with walk() in
 * list.test.ts): the same entries, fields and order on every catalog volume
 * and real fixture, with and without deleted entries and names, and the same
 * entries or typed error on mutated records. Needs the build (the worker runs
 * packages/ntfs/dist/list/scan-worker.js; `npm test` builds first).
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FileSource, MemorySource, RangeSource, ColdfixError, type ByteSource } from '@coldfix/io';
import { NtfsVolume, toWalkEntry, type ListOptions } from '../src/index.js';
import { startScan } from '../src/list/parallel-scan.js';
import { scanMft } from '../src/list/scan-mft.js';
import { fixture, fixturesMissing } from './helpers/fixtures.js';
import { catalogImages, describeWith, itWith } from '@coldfix/test-support';

const big = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

async function rows(volume: NtfsVolume, options: ListOptions): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of volume.list(options)) for (let i = 0; i < batch.length; i++) out.push(JSON.stringify(toWalkEntry(batch, i), big));
  return out;
}

const opened: FileSource[] = [];
afterAll(async () => {
  await Promise.all(opened.splice(0).map((f) => f.close()));
});

async function openAt(image: string, offset: number, size?: number): Promise<NtfsVolume> {
  let source: ByteSource = await FileSource.open(image);
  opened.push(source as FileSource);
  if (offset) source = new RangeSource(source, offset, size ?? source.size - offset);
  return NtfsVolume.open(source);
}

async function compare(open: () => Promise<NtfsVolume>, options: ListOptions): Promise<number> {
  const local = await rows(await open(), { ...options, parallel: false });
  const parallel = await rows(await open(), { ...options, parallel: true });
  expect(parallel.length).toBe(local.length);
  for (let i = 0; i < local.length; i++) if (parallel[i] !== local[i]) expect(parallel[i]).toBe(local[i]);
  return local.length;
}

const catalogNames = ['ntfs-basic', 'raw-gpt', 'windows-sample', 'ntfs-bigdir'];
// Built (or waited for) now: a cold cache never drops cases; without the generators they are reported skipped.
const { entries: catalogEntries, missing: catalogMissing } = await catalogImages(catalogNames);
const catalogCases = catalogNames.flatMap((name) => {
  const entry = catalogEntries[name];
  if (!entry) return [{ name, image: '', offset: 0, size: 0 }]; // skipped below
  const volumes = entry.volumes.filter((v) => v.fs === 'ntfs');
  if (entry.format !== 'raw' || volumes.length === 0) throw new Error(`catalog image ${name}: expected a raw image with an NTFS volume`);
  return volumes.map((v) => ({ name: `${name} @${v.offset}`, image: entry.image, offset: v.offset, size: v.size }));
});

describe('the worker is used when asked for', () => {
  itWith(fixturesMissing)('startScan(..., true) runs a worker (the build is there)', async () => {
    const volume = await openAt(fixture('fox-it-dissect.ntfs/ntfs.bin.gz'), 0);
    const scan = startScan(volume, { names: false, deleted: false }, true);
    expect(scan.mode).toBe('worker');
    await scan.ensure(volume.recordCount);
    scan.close();
  });
});

/** Everything a scan leaves in the table, record by record (names through nameStart/nameCount). */
function tableRows(scan: Awaited<ReturnType<typeof scanMft>>): string[] {
  const out: string[] = [];
  const pool = scan.names;
  for (let n = 0; n < scan.recordCount; n++) {
    const names: unknown[] = [];
    for (let s = scan.nameStart[n], e = s + scan.nameCount[n]; s < e; s++) names.push([pool.names[s], pool.namespace[s], pool.parent[s], pool.parentSequence[s], pool.dataSize[s], [...pool.times.subarray(s * 8, s * 8 + 8)]]);
    const error = scan.errors.get(n);
    out.push(JSON.stringify([n, scan.state[n], scan.bits[n], scan.type[n], scan.sequence[n], scan.size[n], [...scan.si.subarray(n * 8, n * 8 + 8)], names, scan.streams(n), scan.reparse(n), error ? String(error) : null], big));
  }
  return out;
}

describeWith(fixturesMissing)('worker scan fills the table as the local scan (small chunks)', () => {
  it.each([
    { chunk: 7, mainReads: true },
    { chunk: 64, mainReads: true },
    { chunk: 7, mainReads: false },
    { chunk: 64, mainReads: false },
  ])('chunks of $chunk records, read by the main thread: $mainReads', async ({ chunk, mainReads }) => {
    for (const file of ['fox-it-dissect.ntfs/ntfs.bin.gz', 'Velocidex-go-ntfs/charlie.dd.bz2']) {
      for (const options of [{ names: true, deleted: true }, { names: false, deleted: false }, { names: true, deleted: false }]) {
        const local = tableRows(await scanMft(await openAt(fixture(file), 0), options));
        const volume = await openAt(fixture(file), 0);
        // mainReads: every chunk decoded by the worker; else the worker reads the file and this thread helps while it waits.
        const scan = startScan(volume, options, true, { chunkRecords: chunk, workerOnly: true, mainReads });
        expect(scan.mode).toBe('worker');
        await scan.ensure(volume.recordCount);
        scan.close();
        const parallel = tableRows(scan.table);
        expect(parallel.length).toBe(local.length);
        for (let i = 0; i < local.length; i++) if (parallel[i] !== local[i]) expect(parallel[i]).toBe(local[i]);
      }
    }
  }, 120_000);

  it('chunks read while the worker starts are decoded here, the rest by the worker: same table', async () => {
    const file = fixture('Velocidex-go-ntfs/charlie.dd.bz2');
    const options = { names: true, deleted: true };
    const local = tableRows(await scanMft(await openAt(file, 0), options));
    const volume = await openAt(file, 0);
    const scan = startScan(volume, options, true, { chunkRecords: 3 });
    await scan.ensure(volume.recordCount);
    scan.close();
    expect(tableRows(scan.table)).toEqual(local);
  }, 60_000);
});

describeWith(fixturesMissing)('a worker that dies mid-scan', () => {
  it.each([true, false])('leaves the rest of the scan to the calling thread: same table (main thread reads: %s)', async (mainReads) => {
    const file = fixture('fox-it-dissect.ntfs/ntfs.bin.gz');
    const options = { names: true, deleted: true };
    const local = tableRows(await scanMft(await openAt(file, 0), options));
    const volume = await openAt(file, 0);
    const scan = startScan(volume, options, true, { chunkRecords: 5, workerOnly: true, mainReads });
    await scan.ensure(12);
    await (scan as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await scan.ensure(volume.recordCount);
    expect(tableRows(scan.table)).toEqual(local);
  }, 60_000);
});

describeWith(catalogMissing)('parallel list() equals list() on the catalog volumes', () => {
  it.each(catalogCases)('$name', async ({ image, offset, size }) => {
    const open = () => openAt(image, offset, size);
    expect(await compare(open, { deleted: true, names: true })).toBeGreaterThan(10);
    await compare(open, {});
    await compare(open, { names: true });
  }, 300_000);
});

const realCases = [
  'fox-it-dissect.ntfs/ntfs.bin.gz',
  'fox-it-dissect.ntfs/ntfs-cloud.bin.gz',
  'Velocidex-go-ntfs/charlie.dd.bz2',
  'log2timeline-dfvfs/windows_volume.qcow2',
];

describeWith(fixturesMissing)('parallel list() equals list() on the real fixtures', () => {
  it.each(realCases)('%s', async (file) => {
    const image = fixture(file);
    const open = () => openAt(image, 0);
    expect(await compare(open, { deleted: true, names: true })).toBeGreaterThan(10);
    await compare(open, {});
  }, 300_000);
});

describeWith(fixturesMissing)('parallel list() on mutated records (dissect ntfs.bin)', () => {
  it('same entries, or the same typed error, as list() on the calling thread', async () => {
    const { readFileSync } = await import('node:fs');
    const original = new Uint8Array(readFileSync(fixture('fox-it-dissect.ntfs/ntfs.bin.gz')));
    const clean = await NtfsVolume.open(new MemorySource(original.slice()));
    const [first] = clean.mft.recordExtents(16);
    const span = Math.min(200, clean.recordCount - 16) * clean.recordSize;
    const outcome = async (bytes: Uint8Array, parallel: boolean, deleted: boolean): Promise<string> => {
      try {
        return (await rows(await NtfsVolume.open(new MemorySource(bytes)), { deleted, names: true, parallel })).join('\n');
      } catch (error) {
        if (!(error instanceof ColdfixError)) throw error;
        return `error ${error.code}`;
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ at: fc.nat({ max: span - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 12 }), fc.boolean(), async (edits, deleted) => {
        const bytes = original.slice();
        for (const e of edits) bytes[first.offset + e.at] = e.value;
        expect(await outcome(bytes.slice(), true, deleted)).toBe(await outcome(bytes.slice(), false, deleted));
      }),
      { numRuns: 25, seed: 20261124 },
    );
  }, 600_000);
});
