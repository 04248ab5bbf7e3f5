/** Manifest parsing, results-file reading (torn last line), shard arithmetic: pure parts, negative cases. */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptError, PreconditionError } from '@coldfix/io';
import { inShard, parseManifest, scanDirectory, parseShard, readResults, ResultsWriter, shardFromIndex, type ResultLine } from '../src/index.js';

describe('parseManifest', () => {
  it('reads JSON Lines and CSV alike, paths from the manifest folder', () => {
    const jsonl = parseManifest('{"image":"a.vhd"}\n# comment\n{"image":"/x/b.vhd","action":"verify","keys":"k.csv","partition":3}\n', '/m');
    expect(jsonl).toEqual([
      { image: '/m/a.vhd', action: 'repair', line: 1 },
      { image: '/x/b.vhd', action: 'verify', keys: '/m/k.csv', partition: 3, line: 3 },
    ]);
    const csv = parseManifest('image,action,keys,partition,output\n"a,1.vhd",repair,,,out/a.vhd\nb.vhd,info,,2,\n', '/m', 'dry-run');
    expect(csv).toEqual([
      { image: '/m/a,1.vhd', action: 'repair', output: '/m/out/a.vhd', line: 2 },
      { image: '/m/b.vhd', action: 'info', partition: 2, line: 3 },
    ]);
  });

  it('refuses unknown fields (a key pasted in), bad actions and bad partitions with the line, never the value', () => {
    const secret = '111111-222222-333333-444444-555555-666666-100001-200002';
    const check = (text: string, code: string, line: number) => {
      try {
        parseManifest(text, '/m');
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(CorruptError);
        expect((error as CorruptError).code).toBe(code);
        expect((error as CorruptError).details.line).toBe(line);
        expect((error as Error).message).not.toContain(secret);
      }
    };
    check(`{"image":"a"}\n{"image":"b","recoveryPassword":"${secret}"}`, 'BATCH_MANIFEST_UNKNOWN_FIELD', 2);
    check(`image,password\na,${secret}`, 'BATCH_MANIFEST_UNKNOWN_FIELD', 2);
    check('{"image":"a","action":"format"}', 'BATCH_MANIFEST_BAD_LINE', 1);
    check('{"image":"a","partition":-1}', 'BATCH_MANIFEST_BAD_LINE', 1);
    check('{"image":"a","action":"verify","output":"o"}', 'BATCH_MANIFEST_BAD_LINE', 1);
    check('{"image":"a"}\n{"image":', 'BATCH_MANIFEST_BAD_LINE', 2);
    check('path,action\na,repair', 'BATCH_MANIFEST_NO_HEADER', 1);
  });
});

describe('scanDirectory', () => {
  it('keeps files that are images by content, whatever their names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coldfix-scan-'));
    const mbr = Buffer.alloc(4096);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    await writeFile(join(dir, 'disk.bin'), mbr); // boot signature: an image, despite the name
    const footer = Buffer.alloc(4096);
    footer.write('conectix', 4096 - 512, 'latin1');
    await writeFile(join(dir, 'fixed.dat'), footer); // a fixed VHD's footer at the end
    await writeFile(join(dir, 'notes.vhd'), Buffer.alloc(4096, 0x41)); // named like one, is not one
    await writeFile(join(dir, 'tiny.img'), Buffer.alloc(100));
    await writeFile(join(dir, 'disk.bin.coldfix-journal'), mbr);
    const found = await scanDirectory(dir, 'verify');
    expect(found).toEqual([
      { image: join(dir, 'disk.bin'), action: 'verify', line: 0 },
      { image: join(dir, 'fixed.dat'), action: 'verify', line: 0 },
    ]);
  });
});

describe('results file', () => {
  const line = (key: string, final: boolean): ResultLine => ({ key, image: `/i/${key}`, action: 'repair', result: final ? 'repaired' : 'error', final, keyAfter: `${key}-after`, bytesRead: 0, seconds: 0, worker: 'w', finishedAt: '' });

  it('keeps final lines by key and keyAfter, reports a torn last line and closes it before appending', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coldfix-results-'));
    const path = join(dir, 'r.jsonl');
    await writeFile(path, `${JSON.stringify(line('a', true))}\n${JSON.stringify(line('b', false))}\nnot json\n{"key":"c","fin`);
    const read = await readResults(path);
    expect(read.torn).toBe(true);
    expect(read.badLines).toEqual([3]);
    expect([...read.final.keys()].sort()).toEqual(['a', 'a-after']);
    const writer = await ResultsWriter.open(path);
    await writer.append(line('c', true));
    await writer.close();
    const again = await readResults(path);
    expect(again.torn).toBe(false);
    expect([...again.final.keys()].sort()).toEqual(['a', 'a-after', 'c', 'c-after']);
    expect((await readFile(path, 'utf8')).endsWith(`${JSON.stringify(line('c', true))}\n`)).toBe(true);
  });
});

describe('shards', () => {
  it('parses I/N and array-job indexes, refusing nonsense', () => {
    expect(parseShard('2/8')).toEqual({ index: 1, count: 8 });
    for (const bad of ['0/3', '4/3', '1/0', 'a/b', '1-3']) expect(() => parseShard(bad)).toThrow(PreconditionError);
    expect(shardFromIndex(undefined, 4, { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 3, count: 4 });
    expect(shardFromIndex(undefined, 4, { AWS_BATCH_JOB_ARRAY_INDEX: '0' })).toEqual({ index: 0, count: 4 });
    expect(shardFromIndex('1', 4, { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 1, count: 4 });
    expect(() => shardFromIndex(undefined, 4, {})).toThrow(PreconditionError);
    expect(() => shardFromIndex('4', 4, {})).toThrow(PreconditionError);
    expect(() => shardFromIndex('-1', 4, {})).toThrow(PreconditionError);
  });

  it('puts every image in exactly one of N shards, and spreads them', () => {
    const images = Array.from({ length: 3000 }, (_, i) => `/snapshots/vm-${i}.vhd`);
    for (const count of [1, 2, 3, 7]) {
      const sizes = Array.from({ length: count }, (_, index) => images.filter((image) => inShard(image, { index, count })).length);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(images.length);
      for (const image of images.slice(0, 50)) expect(Array.from({ length: count }, (_, index) => inShard(image, { index, count })).filter(Boolean)).toHaveLength(1);
      for (const size of sizes) expect(size).toBeGreaterThan((images.length / count) * 0.85);
    }
  });
});

describe('queue', () => {
  it('gives up on an unreachable Redis with a typed error instead of retrying forever', async () => {
    const { enqueueAndFollow } = await import('../src/queue.js');
    const { freePort } = await import('./helpers.js');
    const port = await freePort();
    const planned = [{ entry: { image: '/nonexistent.vhd', action: 'verify' as const, line: 1 }, key: 'cf-0' }];
    const error = await enqueueAndFollow(`redis://127.0.0.1:${port}`, 'unreachable', planned, { rules: [] }, { readyTimeoutMs: 1500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreconditionError);
    expect((error as PreconditionError).code).toBe('BATCH_QUEUE_UNREACHABLE');
  }, 30_000);
});
