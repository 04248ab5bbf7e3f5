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
