/**
 * The forensic commands end to end (built CLI in cli/dist): `coldfix ls -r
 * --deleted --json` gives fls's (path, record, size) set, `cat` gives icat's
 * bytes for a file and a named stream, `stat --json` and `timeline` carry the
 * 100-ns times.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fixture, fixturesMissing } from './helpers/fixtures.js';
import { catalogImages, describeWith, itWith, whyNot } from '@coldfix/test-support';
import { fls, rowKey } from './helpers/oracle.js';

const cli = fileURLToPath(new URL('../../../cli/bin/coldfix.js', import.meta.url));
// The CLI runs from cli/dist (built by `npx tsc -b`, which scripts/test.sh and `npm test` run first).
const unbuilt = existsSync(fileURLToPath(new URL('../../../cli/dist/commands/ls.js', import.meta.url))) ? undefined : 'cli/dist not built (run npx tsc -b)';
/** Catalog images (built or waited for now, never dropped) with their NTFS volume's offset for fls. */
const catalogNames = ['ntfs-basic', 'windows-sample'];
const { entries: catalogEntries, missing: catalogMissing } = await catalogImages(catalogNames);
const catalogCases = catalogNames.map((name) => {
  const entry = catalogEntries[name];
  if (!entry) return { file: `/${name} (not built)`, offset: [] as string[] }; // skipped below
  const volume = entry.volumes.find((v) => v.fs === 'ntfs');
  if (entry.format !== 'raw' || !volume) throw new Error(`catalog image ${name}: expected a raw image with an NTFS volume`);
  return { file: entry.image, offset: volume.offset ? ['-o', String(volume.offset / 512)] : [] };
});
const run = (args: string[]): Buffer => execFileSync(process.execPath, [cli, ...args], { maxBuffer: 1 << 28 });

/** `coldfix ls -r` (text), with and without --deleted, prints exactly the rows of `fls -r -p`. */
function lsEqualsFls(image: string, offset: string[]): void {
  for (const deleted of [false, true]) {
    const ours = run(['ls', image, '-r', ...(deleted ? ['--deleted'] : [])]).toString('utf8').trim().split('\n').map((line) => {
      const [head, path, size] = line.split('\t');
      return `${path.replace(/^\//, '')}\t${head.split(' ').pop()!.split('-')[0]}\t${size}\t${head.includes(' * ')}`;
    });
    // fls names its virtual orphan folder V/V with no size; ours is a d/d row of size 0.
    const theirs = fls(image, deleted ? 'all' : 'allocated', offset).map((r) => `${r.path}\t${r.record}\t${r.path === '$OrphanFiles' ? 0 : r.size}\t${r.deleted}`);
    expect(ours.length, 'no row printed twice').toBe(new Set(ours).size);
    expect(new Set(ours)).toEqual(new Set(theirs));
  }
}

describeWith(catalogMissing, unbuilt)('coldfix ls on the generated catalog images', () => {
  it.each(catalogCases)('ls -r (text) prints exactly the rows of fls -r -p (with and without --deleted): $file', ({ file, offset }) => {
    lsEqualsFls(file, offset);
  }, 300_000);
});

describeWith(fixturesMissing, unbuilt)('coldfix ls / cat / stat / timeline', () => {
  it('ls -r --deleted --json on an MBR disk (partition chosen automatically) lists what fls -o 128 -r -p lists', () => {
    const image = fixture('msuhanov-ntfs-samples/ntfs-lastaccess.raw.gz');
    const lines = run(['ls', image, '-r', '--deleted', '--json']).toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
    const ours = new Set<string>();
    for (const e of lines) {
      const path = e.path.replace(/^\//, '');
      ours.add(rowKey(path, e.record, e.size));
      for (const s of e.streams) ours.add(rowKey(`${path}:${s.name}`, e.record, s.size));
    }
    // Every fls row is an entry or one of its streams (named $DATA and other indexes, `type` data|index), but
    // fls's `dir/.:stream` repeat (the JSON has one object per entry, so also plain $Secure-like rows fls lacks).
    const theirs = fls(image, 'all', ['-o', '128']).filter((r) => !r.path.includes('/.:'));
    expect(theirs.some((r) => r.path === '$Secure:$SDH')).toBe(true);
    for (const r of theirs) expect(ours.has(rowKey(r.path, r.record, r.size)), r.path).toBe(true);
    const one = lines.find((e) => e.path === '/test/1.txt');
    expect(one).toMatchObject({ type: 'file', size: 143, deleted: false, accessed: '2019-03-03T12:37:55.2936738Z' });
    expect(one.names[0]).toMatchObject({ name: '1.txt', namespace: 'posix' });
  });

  it.each([
    { file: 'fox-it-dissect.ntfs/ntfs-cloud.bin.gz', offset: [] as string[] },
    { file: 'fox-it-dissect.ntfs/ntfs.bin.gz', offset: [] as string[] },
    { file: 'msuhanov-ntfs-samples/ntfs-lastaccess.raw.gz', offset: ['-o', '128'] },
  ])('ls -r (text) prints exactly the rows of fls -r -p (path, record, size, deleted; with and without --deleted): $file', ({ file, offset }) => {
    lsEqualsFls(fixture(file), offset);
  });

  it('cat PATH, PATH:STREAM (ADS on a directory) and --record equal icat; a missing path exits 2 naming it', () => {
    const image = fixture('fox-it-dissect.ntfs/ntfs-cloud.bin.gz');
    const example = run(['cat', image, '/onedrive/EXAMPLE.txt']);
    expect(example.toString()).toBe('This is an example file in the OneDrive folder!\r\n');
    const stream = '${3D0CE612-FDEE-43f7-8ACA-957BEC0CCBA0}.SyncRootIdentity';
    const ads = run(['cat', image, `C:\\OneDrive:${stream}`]);
    const row = fls(image, 'allocated').find((r) => r.path === `OneDrive:${stream}`)!;
    expect(ads.equals(execFileSync('icat', [image, row.address]))).toBe(true);
    expect(run(['cat', image, '--record', String(row.record), '--stream', stream]).equals(ads)).toBe(true);
    let status = 0;
    let stderr = '';
    try {
      run(['cat', image, '/no/such.txt']);
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toContain('"no" not found');
  });

  it('stat --json shows the record in full; timeline prints a mactime body file and CSV', () => {
    const image = fixture('log2timeline-dfvfs/windows_volume.qcow2');
    const stat = JSON.parse(run(['stat', image, 'C:\\Windows\\System32\\config\\syslog', '--json']).toString());
    const istat = execFileSync('istat', [image, String(stat.record)], { encoding: 'utf8' });
    expect(istat).toContain(`Entry: ${stat.record}`);
    expect(stat.attributes.some((a: { typeName: string }) => a.typeName === '$DATA')).toBe(true);
    const created = /Created:\s+(\S+) (\S+) \(UTC\)/.exec(istat)!;
    expect(stat.standardInformation.created).toBe(`${created[1]}T${created[2].slice(0, 16)}Z`);
    const body = run(['timeline', image]).toString().trim().split('\n');
    const line = body.find((l) => l.startsWith('0|/Windows/System32/config/syslog|'))!;
    expect(line.split('|')).toHaveLength(11);
    expect(line.split('|')[6]).toBe('1247');
    expect(body.some((l) => l.startsWith('0|/Windows/System32/config/syslog ($FILE_NAME)|'))).toBe(true);
    expect(run(['timeline', image, '--format', 'csv']).toString()).toContain('/Windows/System32/config/syslog,');
  });
});
