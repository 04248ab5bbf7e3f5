/**
 * Real NTFS volumes made by Windows and others (../shared/fixtures/real,
 * MANIFEST.md): listings equal `fls -r -p -l` (with deleted entries), every
 * allocated file and stream equals `icat`, and the MANIFEST facts hold.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { privateTmp } from '@coldfix/test-support';
import { gunzipSync } from 'node:zlib';
import { FileSource, RangeSource, type ByteSource } from '@coldfix/io';
import { NtfsVolume, decodeBootSector, decodeRecord, fileNames, filetimeToIso, joinedAttributes, type WalkEntry } from '../src/index.js';
import { fls, forEachTskStream, ourRows, rowKey } from './helpers/oracle.js';
import { fixture, fixturesRoot, fixturesMissing } from './helpers/fixtures.js';
import { describeWith, itWith } from '@coldfix/test-support';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Files opened by this test file, closed when it ends (no FileHandle left to the garbage collector). */
const opened: FileSource[] = [];
afterAll(async () => {
  await Promise.all(opened.splice(0).map((f) => f.close()));
});

async function openAt(path: string, offsetSectors = 0): Promise<NtfsVolume> {
  let source: ByteSource = await FileSource.open(path);
  opened.push(source as FileSource);
  if (offsetSectors) source = new RangeSource(source, offsetSectors * 512, source.size - offsetSectors * 512);
  return NtfsVolume.open(source);
}

async function readAll(volume: NtfsVolume, path: string, stream = ''): Promise<Uint8Array> {
  const entry = await volume.resolve(path);
  const source = await volume.openStream(entry.recordNumber, stream);
  return source.read(0, source.size);
}

async function collect(volume: NtfsVolume, deleted: boolean): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  for await (const e of volume.walk({ deleted })) out.push(e);
  return out;
}

interface Case {
  name: string;
  file: string;
  offset: number;
  label: string;
  serial: string;
}

const tskCases: Case[] = [
  { name: 'dissect ntfs.bin', file: 'fox-it-dissect.ntfs/ntfs.bin.gz', offset: 0, label: 'New Volume', serial: '9C60667F60665FCE' },
  { name: 'dissect ntfs-cloud.bin', file: 'fox-it-dissect.ntfs/ntfs-cloud.bin.gz', offset: 0, label: 'Example Volume', serial: 'FEAE3EA8AE3E58FB' },
  { name: 'Velocidex charlie.dd', file: 'Velocidex-go-ntfs/charlie.dd.bz2', offset: 0, label: 'Charlie', serial: 'A4A408C8A4089F44' },
  { name: 'dfvfs windows_volume.qcow2', file: 'log2timeline-dfvfs/windows_volume.qcow2', offset: 0, label: '', serial: '1066467111C40DAF' },
  { name: 'msuhanov ntfs-ptrn', file: 'msuhanov-ntfs-samples/ntfs-ptrn.raw.gz', offset: 128, label: 'Slack', serial: '60563C66563C3F5A' },
  { name: 'msuhanov ntfs-ramslack', file: 'msuhanov-ntfs-samples/ntfs-ramslack.raw.gz', offset: 128, label: 'RAM Slack', serial: 'BAA85F5BA85F14EB' },
  { name: 'msuhanov ntfs-lastaccess', file: 'msuhanov-ntfs-samples/ntfs-lastaccess.raw.gz', offset: 128, label: 'Last access', serial: '0870803570802C0E' },
  { name: 'msuhanov ntfs-si-vs-fn', file: 'msuhanov-ntfs-samples/ntfs-si-vs-fn.raw.gz', offset: 128, label: 'SI-vs-FN', serial: 'C6C0D671C0D66769' },
];

describeWith(fixturesMissing)('real NTFS fixtures against The Sleuth Kit', () => {
  describe.each(tskCases)('$name', ({ file, offset, label, serial }) => {
    it('opens with the MANIFEST label and serial, and lists exactly what fls -r -p lists (deleted included)', async () => {
      const image = fixture(file);
      const volume = await openAt(image, offset);
      expect(volume.volumeName).toBe(label);
      expect(volume.serial).toBe(serial);
      expect(volume.version).toBe('3.1');
      const extra = offset ? ['-o', String(offset)] : [];
      const ours = ourRows(await collect(volume, true));
      const theirs = fls(image, 'all', extra);
      const a = new Set(ours.map((r) => `${r.key}\t${r.deleted}`));
      const b = new Set(theirs.map((r) => `${rowKey(r.path, r.record, r.size)}\t${r.deleted}`));
      expect([...b].filter((k) => !a.has(k))).toEqual([]);
      expect([...a].filter((k) => !b.has(k))).toEqual([]);
      const allocated = ourRows(await collect(volume, false)).filter((r) => !r.deleted).map((r) => r.key).sort();
      expect(allocated).toEqual(fls(image, 'allocated', extra).map((r) => rowKey(r.path, r.record, r.size)).sort());
    });

    it('reads every allocated file and stream as icat does', async () => {
      const image = fixture(file);
      const volume = await openAt(image, offset);
      const extra = offset ? ['-o', String(offset)] : [];
      const compared = await forEachTskStream(image, extra, async (row, stream, expected) => {
        const source = await volume.openStream(row.record, stream);
        const actual = await source.read(0, source.size);
        expect(sha256(actual), `${row.path} (${row.address})`).toBe(sha256(expected));
      });
      expect(compared).toBeGreaterThan(10);
    });
  });
});

describeWith(fixturesMissing)('real NTFS fixtures: MANIFEST facts', () => {
  it('dissect ntfs.bin: geometry, files, compressed files, 2048-entry directory looked up by name', async () => {
    const volume = await openAt(fixture('fox-it-dissect.ntfs/ntfs.bin.gz'));
    expect([volume.sectorSize, volume.clusterSize, volume.recordSize, volume.indexBlockSize]).toEqual([512, 4096, 1024, 4096]);
    const file = await volume.resolve('/File.txt');
    expect(file.recordNumber).toBe(41);
    expect(new TextDecoder().decode(await readAll(volume, '/File.txt'))).toBe('Contents here');
    expect((await volume.resolve('/Large.txt')).recordNumber).toBe(44);
    expect(sha256(await readAll(volume, '/large.TXT'))).toBe('5b766f6d76a999636fd93b4e039d5a32187f84a19c0950449f0c721da0223914');
    expect(sha256(await readAll(volume, '/Random.bin'))).toBe('abe14bae00734c703772844542916a386641bca80c1db871729826732cc603fa');
    expect(new TextDecoder().decode(await readAll(volume, '\\Directory\\File 1.txt'))).toBe('File 1 contents');
    const dir = await volume.resolve('/Directory');
    const names: string[] = [];
    for await (const e of volume.readdir(dir.recordNumber)) if (e.namespace !== 'dos') names.push(e.name);
    expect(names).toEqual(['File 1.txt', 'File 2.txt']);
    const large = await volume.resolve('/Large Directory');
    expect(large.recordNumber).toBe(45);
    let count = 0;
    for await (const e of volume.readdir(large.recordNumber)) if (e.namespace !== 'dos' && e.isDirectory) count++;
    expect(count).toBe(2048);
    for (let i = 0; i < 2048; i++) expect((await volume.lookup(large.recordNumber, `directory ${i}`))?.name).toBe(`Directory ${i}`);
  });

  it('dissect ntfs-cloud.bin: cloud-file reparse points, dehydrated file, ADS on a directory', async () => {
    const volume = await openAt(fixture('fox-it-dissect.ntfs/ntfs-cloud.bin.gz'));
    const example = await volume.resolve('/OneDrive/example.txt');
    expect((await volume.stat(example.recordNumber)).reparse?.kind).toBe('cloud');
    expect(sha256(await readAll(volume, '/OneDrive/example.txt'))).toBe('a8e50d9590afa95de1f559a3a19a3d5c69dd2a285e29a769494a097a6e9c1153');
    const online = await readAll(volume, '/OneDrive/created-online.txt');
    expect(online.length).toBe(70);
    expect(online.every((b) => b === 0)).toBe(true);
    const oneDrive = await volume.resolve('/OneDrive');
    expect(joinedAttributes(oneDrive.record).some((a) => a.type === 0x80 && a.name === '${3D0CE612-FDEE-43f7-8ACA-957BEC0CCBA0}.SyncRootIdentity')).toBe(true);
    const entries = await collect(volume, true);
    expect(entries.some((e) => e.deleted && e.name === 'always-keep-on-device.txt~RFb2516a.TMP')).toBe(true);
  });

  it('Velocidex charlie.dd: attribute list placing $DATA in extension records 39 and 40', async () => {
    const volume = await openAt(fixture('Velocidex-go-ntfs/charlie.dd.bz2'));
    const nine = await volume.resolve('/Nine.txt');
    expect(nine.recordNumber).toBe(38);
    expect(nine.record.extensionRecords.sort()).toEqual([39, 40]);
    expect(sha256(await readAll(volume, '/Nine.txt'))).toBe('cd841188f2034920150512139f5decc6b13e6af52b49522395aebe292bf2c6df');
    expect(sha256(await readAll(volume, '/Nine.txt', '111'))).toBe('e8e8c473ba6cb75c25f5dba1782a9099b92ab444fedcc6640782bf9f66aae88d');
    expect(sha256(await readAll(volume, '/Nine.txt', '222'))).toBe('90190c1d304cab72b3abdea9667dea22968e08d460fd26a0197f491ce5568e2e');
    expect(sha256(await readAll(volume, '/Nine.txt', '333'))).toBe('5375ee1662a98ee8dcc7ba21d708465e8754c1d9c4713a0c6d6c00136be02fd6');
    const si = (await volume.stat(38)).standardInformation!;
    expect(filetimeToIso(si.modified)).toBe('2023-06-23T02:16:17.9724723Z');
  });

  it('msuhanov samples: hashes and 100-ns times', async () => {
    const ramslack = await openAt(fixture('msuhanov-ntfs-samples/ntfs-ramslack.raw.gz'), 128);
    expect(sha256(await readAll(ramslack, '/1.txt'))).toBe('a6e4b525ada8e4c002828819ee5ef9130feb4082a17d7ee699ca0d7711aad670');
    const last = await openAt(fixture('msuhanov-ntfs-samples/ntfs-lastaccess.raw.gz'), 128);
    const one = await last.resolve('/test/1.txt');
    expect(sha256(await readAll(last, '/test/1.txt'))).toBe('878d3b625bc8a4669f236c6615495c3c9c3c01180d1e08b0a68fe0c9e7ca1b23');
    expect(filetimeToIso((await last.stat(one.recordNumber)).standardInformation!.accessed)).toBe('2019-03-03T12:37:55.2936738Z');
    const sivsfn = await openAt(fixture('msuhanov-ntfs-samples/ntfs-si-vs-fn.raw.gz'), 128);
    const t = await sivsfn.resolve('/test/test.txt');
    const details = await sivsfn.stat(t.recordNumber);
    expect(filetimeToIso(details.standardInformation!.created)).toBe('2015-11-03T12:33:59.2229335Z');
    expect(filetimeToIso(details.fileNames[0].created)).toBe('2014-12-12T17:49:01.5518679Z');
    // The $I30 entry carries a third set of times (2016-09-24).
    expect(filetimeToIso(t.dirEntry!.created).startsWith('2016-09-24')).toBe(true);
  });

  it('msuhanov ntfs-2m: 2 MiB clusters (TSK cannot open it; ntfsls lists the root)', async () => {
    const image = fixture('msuhanov-ntfs-samples/ntfs-2m.raw.gz');
    const volume = await openAt(image, 128);
    expect([volume.clusterSize, volume.volumeName, volume.serial]).toEqual([2097152, '2M', 'CCF05C3DF05C2FC6']);
    const names: string[] = [];
    for await (const e of volume.readdir(5)) if (e.namespace !== 'dos') names.push(e.name);
    // ntfsls takes only a volume file: cut the partition out (sparse).
    const part = privateTmp(`${image}.part`); // cut from the verified copy each time, removed after
    let theirs: string[];
    try {
      execFileSync('dd', [`if=${image}`, `of=${part}`, 'bs=1M', `skip=${128 * 512}`, 'iflag=skip_bytes', 'conv=sparse', 'status=none']);
      theirs = execFileSync('ntfsls', ['-a', '-s', part], { encoding: 'utf8' }).split('\n').filter(Boolean);
    } finally {
      rmSync(part, { force: true });
    }
    expect(names.filter((n) => n !== '.').sort()).toEqual(theirs.filter((n) => n !== '.' && n !== '..').sort());
    expect(names).toContain('System Volume Information');
  });

  it('dissect boot_2m.bin: sectors-per-cluster 0xF4 means 2 MiB clusters', () => {
    const bytes = gunzipSync(readFileSync(`${fixturesRoot}/fox-it-dissect.ntfs/boot_2m.bin.gz`));
    expect(decodeBootSector(bytes.subarray(0, 512)).clusterSize).toBe(0x200000);
  });

  it('dissect ntfs_fragmented_mft.csv: the stitched $MFT runlist has 238 runs', async () => {
    const rows = gunzipSync(readFileSync(`${fixturesRoot}/fox-it-dissect.ntfs/ntfs_fragmented_mft.csv.gz`)).toString('utf8').trim().split('\n').map((l) => l.split(','));
    // Pieces at large offsets: a sparse in-memory map behind a ByteSource.
    const pieces = rows.map(([o, h]) => ({ offset: Number(o), bytes: Buffer.from(h, 'hex') }));
    const size = Math.max(...pieces.map((p) => p.offset + p.bytes.length));
    const source: ByteSource = {
      size, blockSize: 512,
      async read(offset, length) {
        const out = new Uint8Array(length);
        for (const p of pieces) {
          const a = Math.max(offset, p.offset);
          const b = Math.min(offset + length, p.offset + p.bytes.length);
          if (a < b) out.set(p.bytes.subarray(a - p.offset, b - p.offset), a - offset);
        }
        return out;
      },
      async close() {},
      describe: () => ({ kind: 'pieces' }),
    };
    const volume = await NtfsVolume.open(source);
    expect(volume.mft.runs.length).toBe(238);
  });

  it('standalone $MFT files decode record by record (dissect mft.bin: 37 in use; dissect.target mft.raw: 39, ADS)', () => {
    const check = (bytes: Uint8Array, inUse: number) => {
      let used = 0;
      const names = new Map<number, string>();
      const streams = new Map<number, string[]>();
      for (let n = 0; n * 1024 < bytes.length; n++) {
        const raw = bytes.slice(n * 1024, (n + 1) * 1024);
        if (raw[0] !== 0x46) continue;
        const record = decodeRecord(raw, n);
        if (!record.inUse) continue;
        used++;
        const view = { ...record, attributeList: null, extensionRecords: [], bytes: raw, extents: [] };
        const fn = fileNames(view).find((f) => f.namespace !== 'dos');
        if (fn) names.set(n, fn.name);
        streams.set(n, joinedAttributes(view, 0x80).map((a) => a.name).filter(Boolean));
      }
      expect(used).toBe(inUse);
      return { names, streams };
    };
    const a = check(gunzipSync(readFileSync(`${fixturesRoot}/fox-it-dissect.ntfs/mft.bin.gz`)), 37);
    expect([0, 1, 2, 3, 4].map((n) => a.names.get(n))).toEqual(['$MFT', '$MFTMirr', '$LogFile', '$Volume', '$AttrDef']);
    expect(a.names.get(44)).toBe('Large.txt');
    const b = check(readFileSync(`${fixturesRoot}/fox-it-dissect.target/mft.raw`), 39);
    expect(b.names.get(45)).toBe('text_document.txt');
    expect(b.names.get(46)).toBe('totally_normal.txt');
    expect(b.streams.get(46)).toEqual(['secret_text.txt']);
  });
});

