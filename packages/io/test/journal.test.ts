/**
 * JournaledFile and the journal lifecycle: rollback exactness (property test,
 * sha256 against the original), pending-journal refusal, commit, torn and
 * damaged journals, identity checks, --journal-dir, interrupted rollbacks.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { itWith, missingLoopDevice } from '@coldfix/test-support';
import fc from 'fast-check';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, chmod, copyFile, cp, mkdir, mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  commitImage,
  DryRunOverlay,
  FileSource,
  findJournal,
  JournaledFile,
  journalPathFor,
  MemorySource,
  rollbackImage,
  type ColdfixError,
} from '../src/index.js';
import { decodeJournalHeader, encodeRecord, JOURNAL_HEADER_SIZE, RecordType, RECORD_HEADER_SIZE } from '../src/journal/journal-format.js';
import { readAt, scanJournal } from '../src/journal/journal-reader.js';
import { pattern } from './source-contract.js';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const fileSha = async (path: string) => sha(await readFile(path));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coldfix-journal-'));
});
afterEach(async () => {
  await chmod(dir, 0o755).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function makeImage(size: number, name = 'disk.img'): Promise<{ path: string; hash: string; bytes: Uint8Array }> {
  const bytes = new Uint8Array(randomBytes(size));
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, hash: sha(bytes), bytes };
}

async function caught(promise: Promise<unknown>): Promise<ColdfixError> {
  try {
    await promise;
  } catch (error) {
    return error as ColdfixError;
  }
  throw new Error('expected a rejection');
}

type Op = { kind: 'write'; at: number; length: number; seed: number } | { kind: 'resize'; size: number };
const opArb = (size: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('write' as const), at: fc.nat({ max: size * 2 }), length: fc.integer({ min: 1, max: 20_000 }), seed: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('resize' as const), size: fc.nat({ max: size * 2 }) }) },
  );

async function applyOps(file: JournaledFile, ops: Op[]): Promise<void> {
  for (const op of ops) {
    if (op.kind === 'resize') await file.resize(op.size);
    else if (file.size > 0) {
      const at = op.at % file.size;
      await file.write(at, pattern(Math.min(op.length, file.size - at), op.seed));
    }
  }
}

describe('JournaledFile rollback', () => {
  it('restores the image byte for byte after random writes and resizes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40_000 }), fc.array(opArb(40_000), { minLength: 1, maxLength: 25 }), fc.boolean(), async (size, ops, viaStandalone) => {
        const image = await makeImage(size, `p-${Math.random().toString(36).slice(2)}.img`);
        const file = await JournaledFile.open(image.path);
        await applyOps(file, ops);
        if (viaStandalone) {
          await file.close();
          await rollbackImage(image.path);
        } else {
          await file.rollback();
          expect(file.size).toBe(size);
          await file.close();
        }
        expect(await fileSha(image.path)).toBe(image.hash);
        expect(await findJournal(image.path)).toBeNull();
        await rm(image.path);
      }),
      { numRuns: 40 },
    );
  });

  it('journals only the first change of each page, and a session that writes nothing leaves no journal', async () => {
    const image = await makeImage(100_000);
    const idle = await JournaledFile.open(image.path);
    await idle.read(0, 4096);
    await idle.complete();
    await idle.close();
    expect(await findJournal(image.path)).toBeNull();

    const file = await JournaledFile.open(image.path);
    await file.write(10, new Uint8Array(10)); // page 0
    await file.write(4000, new Uint8Array(200)); // pages 0 and 1: only page 1 is new
    await file.write(100, new Uint8Array(1)); // page 0 again
    expect(file.stats.pagesJournaled).toBe(2);
    expect(file.stats.journalRecords).toBe(2);
    await file.close();
    const info = await findJournal(image.path);
    expect(info).toMatchObject({ state: 'unfinished', records: 2, beforeImages: 2, beforeImageBytes: 8192, originalSize: 100_000, tornBytes: 0 });
    expect(info!.created!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    await rollbackImage(image.path);
    expect(await fileSha(image.path)).toBe(image.hash);
  });

  it('can be used again after an in-session rollback', async () => {
    const image = await makeImage(9000);
    const file = await JournaledFile.open(image.path);
    await file.write(0, new Uint8Array(9000).fill(1));
    await file.rollback();
    expect(file.hasJournal).toBe(false);
    await file.write(5, new Uint8Array([7]));
    await file.complete();
    await file.close();
    await commitImage(image.path);
    const expected = image.bytes.slice();
    expected[5] = 7;
    expect(await fileSha(image.path)).toBe(sha(expected));
  });

  it('write-behind: writes wait for flush (reads see them), one fsync journals them all; rollback drops unflushed ones; close applies', async () => {
    const image = await makeImage(100_000);
    const file = await JournaledFile.open(image.path);
    await file.writeBehind(true);
    await file.write(10, new Uint8Array(10).fill(1)); // page 0
    await file.write(17_000, new Uint8Array(8000).fill(2)); // pages 4-6: one record
    await file.write(15, new Uint8Array([3])); // page 0 again
    const expected = image.bytes.slice();
    expected.fill(1, 10, 20);
    expected.fill(2, 17_000, 25_000);
    expected[15] = 3;
    expect(await fileSha(image.path)).toBe(image.hash);
    expect(file.stats.journalSyncs).toBe(0);
    expect(await file.read(0, 30_000)).toEqual(expected.subarray(0, 30_000));
    const into = new Uint8Array(100);
    await file.readInto(16_950, into);
    expect(into).toEqual(expected.subarray(16_950, 17_050));
    await file.flush();
    expect(file.stats).toMatchObject({ journalSyncs: 1, journalRecords: 2, pagesJournaled: 4 });
    expect(await fileSha(image.path)).toBe(sha(expected));

    await file.write(50_000, new Uint8Array(10).fill(9));
    await file.rollback();
    expect(await fileSha(image.path)).toBe(image.hash);
    expect(await findJournal(image.path)).toBeNull();

    await file.write(60_000, new Uint8Array(10).fill(7));
    await file.close();
    const after = image.bytes.slice();
    after.fill(7, 60_000, 60_010);
    expect(await fileSha(image.path)).toBe(sha(after));
    await rollbackImage(image.path);
    expect(await fileSha(image.path)).toBe(image.hash);
  });

  it('write-behind: after a failed journal append, a later flush writes nothing (JOURNAL_FAILED)', async () => {
    const image = await makeImage(100_000);
    const file = await JournaledFile.open(image.path);
    await file.write(0, new Uint8Array([5])); // the journal exists from here
    const expected = image.bytes.slice();
    expected[0] = 5;
    await file.writeBehind(true);
    await file.write(40_000, new Uint8Array(10).fill(8)); // deferred; its before-image only in memory
    const handle = (file as unknown as { journal: { handle: { sync(): Promise<void> } } }).journal.handle;
    handle.sync = () => Promise.reject(Object.assign(new Error('EIO: injected'), { code: 'EIO' }));
    await expect(file.flush()).rejects.toThrow();
    await expect(file.flush()).rejects.toMatchObject({ code: 'JOURNAL_FAILED' });
    await expect(file.writeBehind(false)).rejects.toMatchObject({ code: 'JOURNAL_FAILED' });
    await file.close();
    expect(await fileSha(image.path)).toBe(sha(expected));
  });

  it('rollback is idempotent: any partly applied rollback, rolled back again, ends byte-identical', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb(30_000), { minLength: 1, maxLength: 15 }), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), fc.boolean(), async (ops, subset, truncated) => {
        const image = await makeImage(30_000, `i-${Math.random().toString(36).slice(2)}.img`);
        const file = await JournaledFile.open(image.path);
        await applyOps(file, ops);
        await file.close();
        const journalPath = journalPathFor(image.path);
        if (!(await findJournal(image.path))) return;
        // Simulate a crash part-way through a rollback: some before-images written back, maybe the truncate done.
        const scan = await scanJournal(journalPath);
        const journal = await open(journalPath, 'r');
        const target = await open(image.path, 'r+');
        if (truncated) await target.truncate(scan.header!.originalSize);
        for (const [i, record] of scan.records.entries()) {
          if (record.type !== RecordType.beforeImage || !subset[i % subset.length]) continue;
          const size = (await target.stat()).size;
          if (record.imageOffset + record.dataLength > size) continue;
          await target.write(await readAt(journal, record.journalOffset + RECORD_HEADER_SIZE, record.dataLength, journalPath), 0, record.dataLength, record.imageOffset);
        }
        await target.close();
        await journal.close();
        await rollbackImage(image.path);
        expect(await fileSha(image.path)).toBe(image.hash);
        await rm(image.path);
      }),
      { numRuns: 25 },
    );
  });
});

describe('journal lifecycle', () => {
  it('refuses to open an image while its journal exists, naming the journal and both ways out', async () => {
    const image = await makeImage(20_000);
    const file = await JournaledFile.open(image.path);
    await file.write(0, new Uint8Array(4));
    await file.close();
    const error = await caught(JournaledFile.open(image.path));
    expect(error.kind).toBe('precondition');
    expect(error.code).toBe('JOURNAL_PENDING');
    expect(error.message).toContain(journalPathFor(image.path));
    expect(error.message).toContain(`coldfix rollback ${image.path}`);
    expect(error.message).toContain(`coldfix commit ${image.path}`);
  });

  it('a second writer racing the first is refused at its first write', async () => {
    const image = await makeImage(20_000);
    const a = await JournaledFile.open(image.path);
    const b = await JournaledFile.open(image.path);
    await a.write(0, new Uint8Array(4));
    expect((await caught(b.write(8192, new Uint8Array(4)))).code).toBe('JOURNAL_PENDING');
    await a.close();
    await b.close();
    await rollbackImage(image.path);
    expect(await fileSha(image.path)).toBe(image.hash);
  });

  it('commit keeps the changes of a completed session and refuses an unfinished one', async () => {
    const image = await makeImage(50_000);
    const file = await JournaledFile.open(image.path);
    await file.write(4096, new Uint8Array(4096).fill(0xaa));
    await file.resize(60_000);
    await file.close();
    expect((await caught(commitImage(image.path))).code).toBe('JOURNAL_UNFINISHED');
    await rollbackImage(image.path);

    const again = await JournaledFile.open(image.path);
    await again.write(4096, new Uint8Array(4096).fill(0xaa));
    await again.complete();
    await again.close();
    expect((await findJournal(image.path))!.state).toBe('complete');
    const result = await commitImage(image.path);
    expect(result.records).toBe(2);
    expect(await findJournal(image.path)).toBeNull();
    const expected = image.bytes.slice();
    expected.fill(0xaa, 4096, 8192);
    expect(await fileSha(image.path)).toBe(sha(expected));
    expect((await caught(commitImage(image.path))).code).toBe('JOURNAL_NOT_FOUND');
    expect((await caught(rollbackImage(image.path))).code).toBe('JOURNAL_NOT_FOUND');
  });

  it('a completed journal can still be rolled back', async () => {
    const image = await makeImage(12_345);
    const file = await JournaledFile.open(image.path);
    await file.write(12_000, new Uint8Array(345).fill(3));
    await file.resize(5000);
    await file.complete();
    await file.close();
    const result = await rollbackImage(image.path);
    expect(result).toMatchObject({ state: 'complete', originalSize: 12_345, sizeBefore: 5000 });
    expect(await fileSha(image.path)).toBe(image.hash);
  });

  it('ignores a torn last record (crash while appending) and still restores the original', async () => {
    const image = await makeImage(40_000);
    const file = await JournaledFile.open(image.path);
    await file.write(0, new Uint8Array(100).fill(1));
    await file.write(20_000, new Uint8Array(100).fill(2));
    await file.close();
    const journalPath = journalPathFor(image.path);
    const header = decodeJournalHeader((await readFile(journalPath)).subarray(0, JOURNAL_HEADER_SIZE), journalPath)!;
    // The record that a crash interrupted: its write to the image never started.
    const torn = encodeRecord(header.journalId, { type: RecordType.beforeImage, sequence: 3, imageOffset: 32_768, value: 0 }, image.bytes.slice(32_768, 36_864));
    for (const keep of [10, RECORD_HEADER_SIZE, torn.length - 1]) {
      const copy = join(dir, `torn-${keep}`);
      await copyFile(journalPath, copy);
      await appendFile(copy, torn.subarray(0, keep));
    }
    await appendFile(journalPath, torn.subarray(0, torn.length - 1));
    const info = await findJournal(image.path);
    expect(info).toMatchObject({ state: 'unfinished', records: 2, tornBytes: torn.length - 1 });
    await rollbackImage(image.path);
    expect(await fileSha(image.path)).toBe(image.hash);
  });

  it('a journal torn while its header was written (nothing else) is removed by rollback', async () => {
    const image = await makeImage(8192);
    await writeFile(journalPathFor(image.path), new Uint8Array(1000));
    expect(await findJournal(image.path)).toMatchObject({ state: 'unfinished', records: 0, imagePath: null });
    expect(await rollbackImage(image.path)).toMatchObject({ emptyJournal: true });
    expect(await findJournal(image.path)).toBeNull();
    expect(await fileSha(image.path)).toBe(image.hash);
  });

  it('refuses a journal damaged before its last record, changing nothing', async () => {
    const image = await makeImage(40_000);
    const file = await JournaledFile.open(image.path);
    for (const at of [0, 8192, 16_384]) await file.write(at, new Uint8Array(10).fill(9));
    await file.close();
    const journalPath = journalPathFor(image.path);
    const changed = await fileSha(image.path);
    const handle = await open(journalPath, 'r+');
    await handle.write(new Uint8Array([0xff]), 0, 1, JOURNAL_HEADER_SIZE + RECORD_HEADER_SIZE + 100); // data of record 1
    await handle.close();
    const error = await caught(rollbackImage(image.path));
    expect(error.kind).toBe('corrupt');
    expect(error.code).toBe('JOURNAL_DAMAGED');
    expect(await fileSha(image.path)).toBe(changed);
    // A journal whose header is damaged but has records is refused too.
    await truncate(journalPath, 0);
    await appendFile(journalPath, new Uint8Array(JOURNAL_HEADER_SIZE + 200));
    expect((await caught(findJournal(image.path))).code).toBe('JOURNAL_DAMAGED');
  });

  it('refuses to apply a journal to another file, and to a moved copy unless allowed', async () => {
    const a = await makeImage(30_000, 'a.img');
    const b = await makeImage(30_000, 'b.img');
    const file = await JournaledFile.open(a.path);
    await file.write(100, new Uint8Array(5000).fill(0x55));
    await file.close();
    await copyFile(journalPathFor(a.path), journalPathFor(b.path));
    const error = await caught(rollbackImage(b.path));
    expect(error.code).toBe('JOURNAL_WRONG_IMAGE');
    expect(await fileSha(b.path)).toBe(b.hash);
    // Content differs, so even allowing a moved image does not help.
    expect((await caught(rollbackImage(b.path, { allowMoved: true }))).code).toBe('JOURNAL_WRONG_IMAGE');
    expect(await fileSha(b.path)).toBe(b.hash);

    // A copy of A with A's journal: same content, other inode.
    const copy = join(dir, 'copy.img');
    await copyFile(a.path, copy);
    await copyFile(journalPathFor(a.path), journalPathFor(copy));
    expect((await caught(rollbackImage(copy))).message).toContain('device/inode');
    await rollbackImage(copy, { allowMoved: true });
    expect(await fileSha(copy)).toBe(a.hash);
    await rollbackImage(a.path);
    expect(await fileSha(a.path)).toBe(a.hash);
  });

  it('refuses a journal folder it cannot write (JOURNAL_DIR_NOT_WRITABLE), checked as an unprivileged user', async () => {
    // Root ignores directory permissions, so as root the open runs in a child process with uid/gid 65534
    // (setpriv), through the built package (the suite's global setup runs tsc -b first).
    const base = await mkdtemp(join(tmpdir(), 'coldfix-journal-ro-'));
    try {
      const imageDir = join(base, 'ro');
      await mkdir(imageDir);
      const path = join(imageDir, 'disk.img');
      await writeFile(path, new Uint8Array(4096));
      await chmod(path, 0o666);
      await chmod(imageDir, 0o555);
      await chmod(base, 0o755);
      if (process.getuid?.() !== 0) {
        expect((await caught(JournaledFile.open(path))).code).toBe('JOURNAL_DIR_NOT_WRITABLE');
      } else {
        // The unprivileged user may not reach this checkout (a clone under a 0700 folder), so it imports a
        // copy of the built package placed beside the image (io imports nothing outside itself).
        const ioCopy = join(base, 'io');
        await cp(fileURLToPath(new URL('../dist', import.meta.url)), join(ioCopy, 'dist'), { recursive: true });
        await writeFile(join(ioCopy, 'package.json'), '{"type":"module"}\n');
        await chmodReadable(ioCopy);
        const io = pathToFileURL(join(ioCopy, 'dist', 'index.js')).href;
        const script = `import(${JSON.stringify(io)}).then((m) => m.JournaledFile.open(${JSON.stringify(path)})).then(() => console.log('opened'), (e) => console.log(e.code))`;
        const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script], { encoding: 'utf8' }).trim();
        expect(out).toBe('JOURNAL_DIR_NOT_WRITABLE');
      }
      expect(await readdir(imageDir)).toEqual(['disk.img']);
    } finally {
      await chmod(join(base, 'ro'), 0o755).catch(() => undefined);
      await rm(base, { recursive: true, force: true });
    }
  });

  it('puts the journal in --journal-dir (e.g. the image folder is read-only), under a collision-free name', async () => {
    const imageDir = join(dir, 'ro');
    const journalDir = join(dir, 'journals');
    await mkdir(imageDir);
    await mkdir(journalDir);
    const path = join(imageDir, 'disk.img');
    const original = new Uint8Array(randomBytes(50_000));
    await writeFile(path, original);
    await chmod(imageDir, 0o555);
    const file = await JournaledFile.open(path, { journalDir });
    await file.write(49_000, new Uint8Array(1000).fill(1));
    await file.close();
    expect(await readdir(imageDir)).toEqual(['disk.img']);
    const journals = await readdir(journalDir);
    expect(journals).toHaveLength(1);
    expect(journals[0]).toMatch(/^disk\.img-[0-9a-f]{16}\.coldfix-journal$/);
    expect(journalPathFor(path, journalDir)).toBe(join(journalDir, journals[0]));
    expect(journalPathFor(join(dir, 'other', 'disk.img'), journalDir)).not.toBe(journalPathFor(path, journalDir));
    expect((await caught(JournaledFile.open(path, { journalDir }))).message).toContain(`--journal-dir ${journalDir}`);
    expect(await findJournal(path)).toBeNull();
    await rollbackImage(path, { journalDir });
    // A journal beside the image also blocks a session that keeps its journal elsewhere.
    const beside = await makeImage(5000, 'beside.img');
    const first = await JournaledFile.open(beside.path);
    await first.write(0, new Uint8Array(1));
    await first.close();
    expect((await caught(JournaledFile.open(beside.path, { journalDir }))).message).toContain(journalPathFor(beside.path));
    await rollbackImage(beside.path);
    expect(sha(await readFile(path))).toBe(sha(original));
    expect(await readdir(journalDir)).toEqual([]);
    expect((await caught(JournaledFile.open(path, { journalDir: join(dir, 'missing') }))).code).toBe('IO_NOT_FOUND');
  });
});

describe('DryRunOverlay', () => {
  it('never writes the base and bounds its memory', async () => {
    const image = await makeImage(100_000);
    const base = await FileSource.open(image.path);
    const overlay = new DryRunOverlay(base, { maxBytes: 16_384 });
    await overlay.write(0, new Uint8Array(8192).fill(1));
    await overlay.write(50_000, new Uint8Array(10).fill(2));
    expect(overlay.changedRanges()).toEqual([
      [0, 8192],
      [49_152, 4096],
    ]);
    const error = await caught(overlay.write(90_000, new Uint8Array(8192)));
    expect(error.kind).toBe('limit-exceeded');
    expect((await overlay.read(50_000, 10)).every((v) => v === 2)).toBe(true);
    await overlay.close();
    await base.close();
    expect(await fileSha(image.path)).toBe(image.hash);
  });

  it('reads zeros where a shrink then regrow cut the base off', async () => {
    const overlay = new DryRunOverlay(new MemorySource(new Uint8Array(10_000).fill(7)));
    await overlay.resize(3000);
    await overlay.resize(10_000);
    const bytes = await overlay.read(0, 10_000);
    expect(bytes.subarray(0, 3000).every((v) => v === 7)).toBe(true);
    expect(bytes.subarray(3000).every((v) => v === 0)).toBe(true);
  });
});

describe('journaledFileOpener', () => {
  it('opens read-only as FileSource and writable through the journal, remembering what it opened', async () => {
    const { journaledFileOpener } = await import('../src/index.js');
    const image = await makeImage(10_000);
    const opener = journaledFileOpener();
    const reader = await opener(image.path, false);
    expect(reader.describe().kind).toBe('file');
    await reader.close();
    const writer = await opener(image.path, true);
    await writer.write(0, new Uint8Array(10));
    expect(opener.opened).toHaveLength(1);
    await opener.opened[0].rollback();
    await writer.close();
    expect(await fileSha(image.path)).toBe(image.hash);
  });
});

describe('block devices', () => {
  itWith(missingLoopDevice())('need a journal folder, cannot be resized, and roll back exactly (loop device)', async () => {
    const image = await makeImage(1 << 20);
    const device = execFileSync('losetup', ['--find', '--show', image.path], { encoding: 'utf8' }).trim();
    try {
      expect((await caught(JournaledFile.open(device))).code).toBe('JOURNAL_DIR_REQUIRED');
      const file = await JournaledFile.open(device, { journalDir: dir });
      expect(file.size).toBe(1 << 20);
      expect(file.describe().parent?.kind).toBe('block-device');
      await file.write(1000, new Uint8Array(70_000).fill(0xee));
      await file.write((1 << 20) - 10, new Uint8Array(10).fill(0xdd));
      expect((await caught(file.resize(4096))).code).toBe('IO_RESIZE_DEVICE');
      await file.complete();
      await file.close();
      expect(await findJournal(device, { journalDir: dir })).toMatchObject({ state: 'complete', beforeImages: 2 });
      expect((await caught(JournaledFile.open(device, { journalDir: dir }))).code).toBe('JOURNAL_PENDING');
      await rollbackImage(device, { journalDir: dir });
      const restored = await FileSource.open(device);
      expect(sha(await restored.read(0, restored.size))).toBe(image.hash);
      await restored.close();
    } finally {
      execFileSync('losetup', ['-d', device]);
    }
    expect(await fileSha(image.path)).toBe(image.hash);
  });
});

/** Makes a folder tree readable and traversable by everyone (files 0644, folders 0755). */
async function chmodReadable(path: string): Promise<void> {
  const info = await stat(path);
  await chmod(path, info.isDirectory() ? 0o755 : 0o644);
  if (info.isDirectory()) for (const name of await readdir(path)) await chmodReadable(join(path, name));
}
