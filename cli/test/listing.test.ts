/**
 * The listing formatters over volume.list() batches (what `ls` and `timeline`
 * print) give byte for byte what the walk-based reference formatters give
 * for walk() entries (entryLines, entryJson, bodyLines, csvLines; those are
 * checked against fls/istat in packages/ntfs/test/cli.test.ts), on real
 * volumes with deleted entries, orphans, ADS, reparse points and hard links.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { FileSource } from '@coldfix/io';
import { NtfsVolume, type WalkEntry } from '@coldfix/ntfs';
import { fixture, fixturesMissing } from '../../packages/ntfs/test/helpers/fixtures.js';
import { describeWith, itWith } from '@coldfix/test-support';
import { entryJsonLine, entryLines } from '../src/commands/ls.js';
import { batchBody, batchCsv, bodyLines, csvLines } from '../src/commands/timeline.js';
import { ByteOutput, writeJsonLines, writeLsLines } from '../src/listing-format.js';

const files = ['fox-it-dissect.ntfs/ntfs.bin.gz', 'fox-it-dissect.ntfs/ntfs-cloud.bin.gz', 'log2timeline-dfvfs/windows_volume.qcow2', 'Velocidex-go-ntfs/charlie.dd.bz2'];

/** Files opened by this test file, closed when it ends (no FileHandle left to the garbage collector). */
const opened: FileSource[] = [];
afterAll(async () => {
  await Promise.all(opened.splice(0).map((f) => f.close()));
});

describeWith(fixturesMissing)('listing formatters: list() batches = walk() entries', () => {
  it.each(files)('%s', async (file) => {
    const image = fixture(file);
    const open = async () => {
      const file = await FileSource.open(image);
      opened.push(file);
      return NtfsVolume.open(file);
    };
    for (const deleted of [false, true]) {
      const entries: WalkEntry[] = [];
      for await (const e of (await open()).walk({ deleted })) entries.push(e);
      const chunks: Buffer[] = [];
      const sink = new Writable({ write(chunk: Buffer, _encoding, done) { chunks.push(Buffer.from(chunk)); done(); } });
      const out = new ByteOutput(sink);
      const jsonChunks: Buffer[] = [];
      const jsonOut = new ByteOutput(new Writable({ write(chunk: Buffer, _encoding, done) { jsonChunks.push(Buffer.from(chunk)); done(); } }));
      let body = '';
      let csv = '';
      for await (const batch of (await open()).list({ deleted, names: true })) {
        writeLsLines(out, batch);
        await out.drain();
        writeJsonLines(jsonOut, batch);
        await jsonOut.drain();
        body += batchBody(batch);
        csv += batchCsv(batch);
      }
      await out.end();
      await jsonOut.end();
      expect(Buffer.concat(chunks).toString('utf8')).toBe(entries.map(entryLines).join(''));
      expect(Buffer.concat(jsonChunks).toString('utf8')).toBe(entries.map(entryJsonLine).join(''));
      expect(body).toBe(entries.map(bodyLines).join(''));
      expect(csv).toBe(entries.map(csvLines).join(''));
      expect(entries.length).toBeGreaterThan(10);
    }
  }, 120_000);
});

describe('fls row rules on made-up entries (list() batch vs walk()-style entry)', () => {
  it('prints a plain row when there is nothing else to show, and none where fls shows only streams', async () => {
    const { RecordTable, RecordBit, ListBatch, toWalkEntry } = await import('@coldfix/ntfs');
    const t = new RecordTable(12, 16);
    const set = (n: number, bits: number, type: number) => {
      t.bits[n] = bits | RecordBit.inUse;
      t.state[n] = 1;
      t.sequence[n] = 1;
      t.type[n] = type;
    };
    set(7, 0, 0); // a file without unnamed $DATA or streams (its $DATA dropped as an anomaly)
    set(8, RecordBit.isDirectory, 1); // a directory by its flag, without $I30
    set(9, 0, 0); // $Secure-like: named $DATA and an index, no unnamed $DATA
    t.streamMap.set(9, [{ name: '$SDS', size: 10, kind: 'data' }, { name: '$SDH', size: 20, kind: 'index' }]);
    set(10, RecordBit.hasDefaultData, 0); // a file with an ADS
    t.streamMap.set(10, [{ name: 'Zone.Identifier', size: 26, kind: 'data' }]);
    set(11, RecordBit.isDirectory | RecordBit.hasIndexRoot, 1); // a directory with an ADS
    t.streamMap.set(11, [{ name: 'ads', size: 3, kind: 'data' }]);
    const batch = new ListBatch(t);
    for (const n of [7, 8, 9, 10, 11]) batch.push('/a', `r${n}`, 1, n, n, 5, 0);
    const chunks: Buffer[] = [];
    const out = new ByteOutput(new Writable({ write(chunk: Buffer, _encoding, done) { chunks.push(Buffer.from(chunk)); done(); } }));
    writeLsLines(out, batch);
    await out.end();
    const printed = Buffer.concat(chunks).toString('utf8');
    expect(printed).toBe([0, 1, 2, 3, 4].map((i) => entryLines(toWalkEntry(batch, i))).join(''));
    const paths = printed.trim().split('\n').map((line) => line.split('\t')[1]);
    expect(paths).toEqual(['/a/r7', '/a/r8', '/a/r9:$SDS', '/a/r9:$SDH', '/a/r10', '/a/r10:Zone.Identifier', '/a/r11', '/a/r11:ads', '/a/r11/.:ads']);
  });
});

describe('ls --json bytes on made-up names', () => {
  it('escape as JSON.stringify does (quotes, backslashes, controls, non-ASCII, surrogate pairs and lone ones)', async () => {
    const { RecordTable, RecordBit, ListBatch, toWalkEntry } = await import('@coldfix/ntfs');
    const names = ['plain.txt', 'quo"te', 'back\\slash', 'tab\there', 'nul\u0000\u001f', 'Ελληνικά', '日本語', 'emoji 😀', 'lone \ud800 high', 'lone \udc00 low', '\u007f del', 'a/b'];
    const t = new RecordTable(40, 64);
    const batch = new ListBatch(t);
    names.forEach((name, k) => {
      const n = 16 + k;
      t.bits[n] = RecordBit.inUse | RecordBit.hasDefaultData | RecordBit.hasSi;
      t.state[n] = 1;
      t.sequence[n] = k + 1;
      t.size[n] = k * 1000;
      for (let j = 0; j < 8; j++) t.si[n * 8 + j] = j % 2 ? 0x01d9a000 + k : 0x12345678 * (j + 1);
      t.nameStart[n] = t.names.length;
      const slot = t.names.add(name, k % 4, 5, 5, k);
      for (let j = 0; j < 8; j++) t.names.times[slot * 8 + j] = j % 2 ? 0x01d9a000 : 7 * j;
      t.nameCount[n] = 1;
      t.streamMap.set(n, [{ name: `s:${name}`, size: k, kind: k % 2 ? 'data' : 'index' }]);
      batch.push(k % 3 ? `/dir ${names[(k + 1) % names.length]}` : '', name, k % 4, n, n, 5, 0);
    });
    const chunks: Buffer[] = [];
    const out = new ByteOutput(new Writable({ write(chunk: Buffer, _encoding, done) { chunks.push(Buffer.from(chunk)); done(); } }));
    writeJsonLines(out, batch);
    await out.end();
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toBe(names.map((_, i) => entryJsonLine(toWalkEntry(batch, i))).join(''));
    expect(text.split('\n').filter(Boolean).map((line) => JSON.parse(line).names[0].name)).toEqual(names);
  });
});
