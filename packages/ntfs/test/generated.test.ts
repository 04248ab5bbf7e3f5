/**
 * Oracle tests on volumes built with mkntfs + ntfs-3g: our walk gives the
 * same (path, record, size) set as `fls -r -p -l` (allocated, then all with
 * deleted entries), every file and stream reads the same bytes as `icat`,
 * and $SI times equal istat's.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { execFileSync } from 'node:child_process';
import { FileSource } from '@coldfix/io';
import { NtfsVolume, filetimeToIso, type WalkEntry } from '../src/index.js';
import { basicScript, bigDirScript, buildVolume } from './helpers/build-volume.js';
import { fls, forEachTskStream, ourRows } from './helpers/oracle.js';

async function collect(volume: NtfsVolume, deleted: boolean): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  for await (const e of volume.walk({ deleted })) out.push(e);
  return out;
}

function compareSets(ours: string[], theirs: string[]): { missing: string[]; extra: string[] } {
  const a = new Set(ours);
  const b = new Set(theirs);
  return { missing: [...b].filter((k) => !a.has(k)).slice(0, 20), extra: [...a].filter((k) => !b.has(k)).slice(0, 20) };
}

describe.each([
  { name: 'basic-4k', script: basicScript, size: '64M', cluster: 4096 },
  { name: 'basic-512', script: basicScript, size: '48M', cluster: 512 },
  { name: 'basic-64k', script: basicScript, size: '96M', cluster: 65536 },
])('generated volume $name', ({ name, script, size, cluster }) => {
  let image: string;
  let volume: NtfsVolume;
  beforeAll(async () => {
    image = buildVolume(name, script, size, cluster).path;
    volume = await NtfsVolume.open(await FileSource.open(image));
  });
  afterAll(() => volume?.source.close());

  it('opens with the geometry ntfsinfo reports', () => {
    const info = execFileSync('ntfsinfo', ['-m', image], { encoding: 'utf8' });
    expect(info).toContain(`Cluster Size: ${cluster}`);
    expect(volume.clusterSize).toBe(cluster);
    expect(volume.volumeName).toBe('Coldfix');
    expect(volume.version).toBe('3.1');
    expect(volume.anomalies).toEqual([]);
  });

  it('lists the same allocated (path, record, size) set as fls -r -p -u', async () => {
    const ours = ourRows(await collect(volume, false)).map((r) => r.key);
    const theirs = fls(image, 'allocated').map((r) => `${r.path}\t${r.record}\t${r.size}`);
    expect(compareSets(ours, theirs)).toEqual({ missing: [], extra: [] });
    expect(ours.length).toBe(theirs.length);
  });

  it('lists the same set with deleted entries as fls -r -p (and flags the same ones deleted)', async () => {
    const rows = ourRows(await collect(volume, true));
    const theirs = fls(image, 'all');
    expect(compareSets(rows.map((r) => r.key), theirs.map((r) => `${r.path}\t${r.record}\t${r.size}`))).toEqual({ missing: [], extra: [] });
    const deletedOurs = rows.filter((r) => r.deleted).map((r) => r.key).sort();
    const deletedTheirs = theirs.filter((r) => r.deleted).map((r) => `${r.path}\t${r.record}\t${r.size}`).sort();
    expect(deletedOurs).toEqual(deletedTheirs);
  });

  it('reads every file and stream exactly as The Sleuth Kit does (tsk_recover / icat)', async () => {
    const compared = await forEachTskStream(image, [], async (row, stream, expected) => {
      const source = await volume.openStream(row.record, stream);
      const actual = await source.read(0, source.size);
      expect(Buffer.from(actual).equals(expected), `${row.path} (${row.address}) differs`).toBe(true);
    });
    expect(compared).toBeGreaterThan(300);
  }, 180_000);

  it('keeps $SI times to 100 ns as istat shows them', async () => {
    const entry = await volume.resolve('/A/B/C/D/E/F/G/H/DEEP.TXT');
    const istat = execFileSync('istat', [image, String(entry.recordNumber)], { encoding: 'utf8' });
    const created = /Created:\s+(\S+) (\S+) \(UTC\)/.exec(istat)!;
    const si = (await volume.stat(entry.recordNumber)).standardInformation!;
    const iso = filetimeToIso(si.created);
    // istat prints 9 fractional digits (ns); ours has 7 (100 ns).
    expect(`${created[1]}T${created[2].slice(0, 16)}Z`).toBe(iso);
  });
});

describe('generated volume with a 20,000-entry directory', () => {
  it('lists it like fls and looks every name up through the B+ tree', async () => {
    const image = buildVolume('bigdir', bigDirScript(20000), '128M').path;
    const volume = await NtfsVolume.open(await FileSource.open(image));
    onTestFinished(() => volume.source.close());
    const big = await volume.resolve('/big');
    const names: string[] = [];
    for await (const e of volume.readdir(big.recordNumber)) names.push(e.name);
    expect(names.length).toBe(20000);
    const ours = ourRows(await collect(volume, false)).map((r) => r.key);
    const theirs = fls(image, 'allocated').map((r) => `${r.path}\t${r.record}\t${r.size}`);
    expect(compareSets(ours, theirs)).toEqual({ missing: [], extra: [] });
    for (const n of [1, 2, 777, 9999, 12345, 20000]) {
      const hit = await volume.lookup(big.recordNumber, `ENTRY_WITH_A_LONGISH_NAME_${n}`);
      expect(hit?.name).toBe(`entry_with_a_longish_name_${n}`);
    }
    expect(await volume.lookup(big.recordNumber, 'entry_with_a_longish_name_20001')).toBeNull();
  });
});
