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
import { fixture, haveFixtures } from '../../packages/ntfs/test/helpers/fixtures.js';
import { batchJson, entryJsonLine, entryLines } from '../src/commands/ls.js';
import { batchBody, batchCsv, bodyLines, csvLines } from '../src/commands/timeline.js';
import { ByteOutput, writeLsLines } from '../src/listing-format.js';

const files = ['fox-it-dissect.ntfs/ntfs.bin.gz', 'fox-it-dissect.ntfs/ntfs-cloud.bin.gz', 'log2timeline-dfvfs/windows_volume.qcow2', 'Velocidex-go-ntfs/charlie.dd.bz2'];

/** Files opened by this test file, closed when it ends (no FileHandle left to the garbage collector). */
const opened: FileSource[] = [];
afterAll(async () => {
  await Promise.all(opened.splice(0).map((f) => f.close()));
});

describe.skipIf(!haveFixtures())('listing formatters: list() batches = walk() entries', () => {
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
      let json = '';
      let body = '';
      let csv = '';
      for await (const batch of (await open()).list({ deleted, names: true })) {
        writeLsLines(out, batch);
        await out.drain();
        json += batchJson(batch);
        body += batchBody(batch);
        csv += batchCsv(batch);
      }
      await out.end();
      expect(Buffer.concat(chunks).toString('utf8')).toBe(entries.map(entryLines).join(''));
      expect(json).toBe(entries.map(entryJsonLine).join(''));
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
