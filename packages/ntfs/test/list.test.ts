/**
 * The fast listing (volume.list) against the walk (volume.walk, itself
 * compared with `fls -r -p` in catalog/real/generated tests): the same
 * entries in the same order with the same fields, on every catalog volume and
 * real fixture, allocated only, with deleted entries, and below a sub-directory.
 * Also: the FILETIME formatter without BigInt against filetimeToIso.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { FileSource, RangeSource, type ByteSource } from '@coldfix/io';
import { NtfsVolume, filetimeToIso, filetimeToUnixSeconds, filetimePartsToIso, filetimePartsToUnixSeconds, writeFiletimeIso, toWalkEntry, type ListOptions, type WalkEntry } from '../src/index.js';
import { fixture, fixturesMissing } from './helpers/fixtures.js';
import { catalogImages, describeWith, itWith } from '@coldfix/test-support';
import { fillFromWalk } from '../src/list/list-fallback.js';

/** The fields list() promises to share with walk() (`names`: list() was asked for every $FILE_NAME). */
function project(e: WalkEntry, names = true) {
  return {
    path: e.path, name: e.name, namespace: e.namespace, record: e.recordNumber, sequence: e.sequence, parent: e.parentRecordNumber,
    type: e.type, isDirectory: e.isDirectory, deleted: e.deleted, reallocated: e.reallocated, orphan: e.orphan, size: e.size,
    si: e.si ? [e.si.created, e.si.modified, e.si.mftModified, e.si.accessed] : null,
    names: names ? e.names.map((n) => [n.name, n.namespace, n.parentRecordNumber, n.parentSequence, n.created, n.modified, n.mftModified, n.accessed, n.dataSize]) : null,
    streams: e.streams.map((s) => [s.name, s.kind, s.size]),
    reparse: e.reparse, hasDefaultData: e.hasDefaultData, hasIndexRoot: e.hasIndexRoot,
  };
}

/**
 * list() against walk(), entry by entry. `names: false` runs the listing as plain `ls` does (no
 * $FILE_NAME collected for records in use: another path through the scan) and compares all else.
 */
export async function compareListWithWalk(open: () => Promise<NtfsVolume>, options: ListOptions, names = true): Promise<number> {
  const walked: ReturnType<typeof project>[] = [];
  for await (const e of (await open()).walk(options)) walked.push(project(e, names));
  const listed: ReturnType<typeof project>[] = [];
  for await (const batch of (await open()).list({ ...options, names })) for (let i = 0; i < batch.length; i++) listed.push(project(toWalkEntry(batch, i), names));
  expect(listed.length).toBe(walked.length);
  for (let i = 0; i < walked.length; i++) if (JSON.stringify(listed[i], big) !== JSON.stringify(walked[i], big)) expect(listed[i]).toEqual(walked[i]);
  return walked.length;
}
const big = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

// ntfs-bigdir (70,000 names in one directory) is left out: walk() takes minutes on it; catalog.test.ts compares list() with fls there.
const catalogNames = ['ntfs-basic', 'raw-mbr', 'raw-gpt', 'windows-sample'];
// Built (or waited for) now: a cold cache never drops cases; without the generators they are reported skipped.
const { entries: catalogEntries, missing: catalogMissing } = await catalogImages(catalogNames);
const catalogCases = catalogNames.flatMap((name) => {
  const entry = catalogEntries[name];
  if (!entry) return [{ name, image: '', offset: 0, size: 0 }]; // skipped below
  const volumes = entry.volumes.filter((v) => v.fs === 'ntfs');
  if (entry.format !== 'raw' || volumes.length === 0) throw new Error(`catalog image ${name}: expected a raw image with an NTFS volume`);
  return volumes.map((v) => ({ name: `${name} @${v.offset}`, image: entry.image, offset: v.offset, size: v.size }));
});

/** Files opened by this test file, closed when it ends (no FileHandle left to the garbage collector). */
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

describeWith(catalogMissing)('list() equals walk() on the catalog volumes', () => {
  it.each(catalogCases)('$name', async ({ image, offset, size }) => {
    const open = () => openAt(image, offset, size);
    expect(await compareListWithWalk(open, { deleted: true })).toBeGreaterThan(10);
    await compareListWithWalk(open, {});
    // As plain `ls -r` and `ls -r --deleted` run it.
    await compareListWithWalk(open, { deleted: true }, false);
    await compareListWithWalk(open, {}, false);
  }, 300_000);
});

const realCases = [
  { file: 'fox-it-dissect.ntfs/ntfs.bin.gz', offset: 0, sub: '/Large Directory' },
  { file: 'fox-it-dissect.ntfs/ntfs-cloud.bin.gz', offset: 0, sub: '/OneDrive' },
  { file: 'Velocidex-go-ntfs/charlie.dd.bz2', offset: 0, sub: '' },
  { file: 'log2timeline-dfvfs/windows_volume.qcow2', offset: 0, sub: '/Windows' },
  { file: 'msuhanov-ntfs-samples/ntfs-ptrn.raw.gz', offset: 128, sub: '' },
  { file: 'msuhanov-ntfs-samples/ntfs-ramslack.raw.gz', offset: 128, sub: '' },
  { file: 'msuhanov-ntfs-samples/ntfs-lastaccess.raw.gz', offset: 128, sub: '/test' },
  { file: 'msuhanov-ntfs-samples/ntfs-si-vs-fn.raw.gz', offset: 128, sub: '' },
];

describeWith(fixturesMissing)('list() equals walk() on the real fixtures', () => {
  it.each(realCases)('$file', async ({ file, offset, sub }) => {
    const image = fixture(file);
    const open = () => openAt(image, offset * 512);
    expect(await compareListWithWalk(open, { deleted: true })).toBeGreaterThan(10);
    await compareListWithWalk(open, {});
    await compareListWithWalk(open, { deleted: true }, false);
    if (sub) {
      await compareListWithWalk(open, { root: sub, deleted: true });
      await compareListWithWalk(open, { root: sub, recursive: false });
    }
  }, 300_000);
});

describeWith(fixturesMissing)('list() over walk() (volumes above Limits.maxListRecords)', () => {
  it('gives the walk entries back through small batch tables', async () => {
    const image = fixture('fox-it-dissect.ntfs/ntfs-cloud.bin.gz');
    const open = () => openAt(image, 0); // tracked and closed after the file (no FileHandle left to the GC)
    const walked: string[] = [];
    for await (const e of (await open()).walk({ deleted: true })) walked.push(JSON.stringify(project(e), big));
    const listed: string[] = [];
    for await (const batch of fillFromWalk((await open()).walk({ deleted: true }), 7)) {
      expect(batch.length).toBeLessThanOrEqual(7);
      for (let i = 0; i < batch.length; i++) listed.push(JSON.stringify(project(toWalkEntry(batch, i)), big));
    }
    expect(listed).toEqual(walked);
    expect(walked.length).toBeGreaterThan(10);
  });
});

describe('FILETIME halves', () => {
  it('format like filetimeToIso / filetimeToUnixSeconds for every u64 (strings and bytes)', () => {
    const check = (t: bigint) => {
      const lo = Number(t & 0xffffffffn);
      const hi = Number(t >> 32n);
      expect(filetimePartsToIso(lo, hi)).toBe(filetimeToIso(t));
      expect(filetimePartsToUnixSeconds(lo, hi)).toBe(filetimeToUnixSeconds(t));
      const end = writeFiletimeIso(lo, hi, bytes, 3);
      expect(Buffer.from(bytes.subarray(3, end)).toString('latin1')).toBe(filetimeToIso(t));
    };
    const bytes = new Uint8Array(64);
    for (const t of [0n, 1n, 9999999n, 10000000n, 116444736000000000n, 116444735999999999n, 133320345779724723n, (1n << 64n) - 1n, 2650467743999999999n, 2650467744000000000n]) check(t);
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (t) => check(t)), { numRuns: 2000 });
    fc.assert(fc.property(fc.bigInt({ min: 100000000000000000n, max: 160000000000000000n }), (t) => check(t)), { numRuns: 2000 });
  });
});

/** list({ deleted, names }) and walk({ deleted }) of a volume image held in memory, as rows: checks they are equal, returns list()'s. */
async function listedEqualsWalked(bytes: Uint8Array): Promise<string[]> {
  const { MemorySource } = await import('@coldfix/io');
  const rows = async (list: boolean): Promise<string[]> => {
    const volume = await NtfsVolume.open(new MemorySource(bytes.slice()));
    const out: string[] = [];
    if (list) {
      for await (const batch of volume.list({ deleted: true, names: true })) for (let i = 0; i < batch.length; i++) out.push(JSON.stringify(project(toWalkEntry(batch, i)), big));
    } else for await (const e of volume.walk({ deleted: true })) out.push(JSON.stringify(project(e), big));
    return out;
  };
  const listed = await rows(true);
  expect(listed).toEqual(await rows(false));
  return listed;
}

describeWith(fixturesMissing)('list() equals walk() on mutated records (dissect ntfs.bin)', () => {
  it('a $FILE_NAME namespace byte above 3 reads as posix in list() as in walk() (every $FN of 40 records set to 5)', async () => {
    const { readFileSync } = await import('node:fs');
    const { MemorySource } = await import('@coldfix/io');
    const bytes = new Uint8Array(readFileSync(fixture('fox-it-dissect.ntfs/ntfs.bin.gz')));
    const clean = await NtfsVolume.open(new MemorySource(bytes.slice()));
    let changed = 0;
    for (let n = 24; n < Math.min(64, clean.recordCount); n++) {
      const [{ offset }] = clean.mft.recordExtents(n);
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, clean.recordSize);
      if (view.getUint32(0, true) !== 0x454c4946) continue; // "FILE"
      for (let at = view.getUint16(0x14, true); at + 8 <= clean.recordSize; ) {
        const type = view.getUint32(at, true);
        const length = view.getUint32(at + 4, true);
        if (type === 0xffffffff || length < 24 || at + length > clean.recordSize) break;
        const ns = at + view.getUint16(at + 0x14, true) + 0x41;
        // Resident $FILE_NAME, its namespace byte clear of the update-sequence positions (last 2 bytes of each 512).
        if (type === 0x30 && bytes[offset + at + 8] === 0 && ns < at + length && ns % 512 < 510) {
          bytes[offset + ns] = 5;
          changed++;
        }
        at += length;
      }
    }
    expect(changed).toBeGreaterThan(10);
    const listed = await listedEqualsWalked(bytes);
  });

  it('an $I30 key namespace byte above 3 reads as posix in list() as in walk() (every INDX key set to 5)', async () => {
    const { readFileSync } = await import('node:fs');
    const bytes = new Uint8Array(readFileSync(fixture('fox-it-dissect.ntfs/ntfs.bin.gz')));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    let changed = 0;
    for (let block = 0; block + 0x28 <= bytes.length; block += 512) {
      if (view.getUint32(block, true) !== 0x58444e49) continue; // "INDX"
      const nodeEnd = block + 0x18 + view.getUint32(block + 0x1c, true);
      for (let at = block + 0x18 + view.getUint32(block + 0x18, true); at + 16 <= nodeEnd; ) {
        const length = view.getUint16(at + 8, true);
        const flags = view.getUint32(at + 12, true);
        if (flags & 2 || length < 16) break;
        const ns = at + 16 + 0x41;
        // Clear of the update-sequence positions (last 2 bytes of each 512).
        if ((ns - block) % 512 < 510) {
          bytes[ns] = 5;
          changed++;
        }
        at += length;
      }
    }
    expect(changed).toBeGreaterThan(100);
    const listed = await listedEqualsWalked(bytes);
    // The entries named from those keys: posix, not a number or undefined.
    expect(listed.filter((r) => r.includes('"path":"/Large Directory/') && r.includes('"namespace":"posix"')).length).toBeGreaterThan(100);
  });

  it('same entries and anomalies, or the same typed error, when MFT records carry random bytes', async () => {
    const { readFileSync } = await import('node:fs');
    const { ColdfixError, MemorySource } = await import('@coldfix/io');
    const original = new Uint8Array(readFileSync(fixture('fox-it-dissect.ntfs/ntfs.bin.gz')));
    const clean = await NtfsVolume.open(new MemorySource(original.slice()));
    // Records past the system files: directories, files, deleted ones (the first 16 would mostly break opening).
    const [first] = clean.mft.recordExtents(16);
    const span = Math.min(200, clean.recordCount - 16) * clean.recordSize;
    const outcome = async (bytes: Uint8Array, list: boolean): Promise<string> => {
      try {
        const volume = await NtfsVolume.open(new MemorySource(bytes));
        const rows: string[] = [];
        if (list) {
          for await (const batch of volume.list({ deleted: true, names: true })) for (let i = 0; i < batch.length; i++) rows.push(JSON.stringify(project(toWalkEntry(batch, i)), big));
        } else for await (const e of volume.walk({ deleted: true })) rows.push(JSON.stringify(project(e), big));
        // The anomalies noted on the way too (as a set: a note may come once or twice).
        return `${rows.join('\n')}\nnotes:\n${[...new Set(volume.anomalies)].sort().join('\n')}`;
      } catch (error) {
        if (!(error instanceof ColdfixError)) throw error;
        return `error ${error.code}`;
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ at: fc.nat({ max: span - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 12 }), async (edits) => {
        const bytes = original.slice();
        for (const e of edits) bytes[first.offset + e.at] = e.value;
        expect(await outcome(bytes.slice(), true)).toBe(await outcome(bytes.slice(), false));
      }),
      { numRuns: 25, seed: 20261124 },
    );
  }, 600_000);
});

describeWith(fixturesMissing)('list() opens directories from the $I30 attributes its scan kept', () => {
  it.each([false, true])('reads no directory record again, only the root (opened before the scan reaches it); parallel: %s', async (parallel) => {
    const { DirectoryIndex } = await import('../src/directory.js');
    const { RecordBit } = await import('../src/index.js');
    const volume = await openAt(fixture('fox-it-dissect.ntfs/ntfs.bin.gz'), 0);
    const fromRecord = vi.spyOn(DirectoryIndex, 'open');
    const fromAttributes = vi.spyOn(DirectoryIndex, 'fromAttributes');
    try {
      let directories = 0;
      for await (const batch of volume.list({ recursive: true, parallel })) {
        for (let i = 0; i < batch.length; i++) if (batch.table.bits[batch.slot[i]] & RecordBit.isDirectory) directories++;
      }
      // open() goes through fromAttributes with its record; the kept attributes come with none.
      const kept = fromAttributes.mock.calls.filter((call) => call[1] === null).length;
      expect(directories).toBeGreaterThan(5);
      expect(fromRecord.mock.calls.map((call) => call[1].recordNumber)).toEqual([5]);
      expect(kept).toBe(directories);
    } finally {
      fromRecord.mockRestore();
      fromAttributes.mockRestore();
    }
  });
});
