/**
 * Files whose names and streams live in extension records, as ntfs-3g leaves them when a record
 * fills (a file with 211 hard links in three directories, one with 50, one with 150 named streams
 * spread over 100+ extension records, a Win32/DOS pair with a second link), built with mkntfs +
 * ntfs-3g FUSE into this file's own mkdtemp folder. Judged by independent tools only: istat (the
 * attribute list really places $FILE_NAMEs and $DATA in other records; link counts; records freed
 * with their sequence advanced), fls -r -p (exactly the names removed are gone), icat (every other
 * file unchanged), ntfsfix -n (sound), ntfs-3g listing and deleting in the touched directories.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WritableFileSource } from '@coldfix/io';
import { deleteFiles, type DeleteTarget } from '../src/write/delete-file.js';
import { checkVolume } from '../src/check/check-volume.js';
import { flsAllocated, mountScript, ntfsfixDry, withMount } from './write-fixtures.js';

const TOOLS = ['mkntfs', 'ntfs-3g', 'fls', 'istat', 'icat', 'ntfsfix', 'ifind'];
const missing = TOOLS.filter((t) => spawnSync('bash', ['-c', `command -v ${t}`]).status !== 0);
const skip = missing.length > 0 && process.env.COLDFIX_REQUIRE_ORACLES !== '1';

/** The tree, written through ntfs-3g (which moves attributes to extension records as records fill). */
const TREE = String.raw`
mkdir d1 d2 d3 keepdir
echo hello > d1/target.txt
for i in $(seq 1 120); do ln d1/target.txt "d1/link number $i with a long name.txt"; done
for i in $(seq 1 40); do ln d1/target.txt "d2/other $i.txt"; done
echo unlink-me > d3/u.txt; for i in $(seq 1 49); do ln d3/u.txt "d3/u link $i.txt"; done
for i in $(seq 1 5); do head -c $((i * 3000)) /dev/urandom > "d1/keep $i.bin"; head -c $((i * 700)) /dev/urandom > "d2/keep $i.bin"; head -c 9000 /dev/urandom > "d3/keep $i.bin"; done
echo keep > keepdir/k.txt
echo streams > s.txt
python3 -c '
import os
for i in range(1, 151):
    os.setxattr("s.txt", "user.stream%d" % i, (b"v%d-" % i) * 40)
'
echo dos > "Long Name For Dos.txt"
python3 -c 'import os; os.setxattr("Long Name For Dos.txt", "system.ntfs_dos_name", b"LONGNA~1.TXT")'
ln "Long Name For Dos.txt" d3/dlink.txt
`;

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
const inode = (img: string, path: string): number => Number(run('ifind', ['-n', path, img]).trim());
const istat = (img: string, n: number): string => run('istat', [img, String(n)]);
const links = (img: string, n: number): number => Number(/Links: (\d+)/.exec(istat(img, n))![1]);
const sequence = (img: string, n: number): number => Number(/Sequence: (\d+)/.exec(istat(img, n))![1]);
/** The names istat shows in record `n`'s $FILE_NAME attributes. */
const istatNames = (img: string, n: number): string[] => [...istat(img, n).matchAll(/^Name: (.*)$/gm)].map((m) => m[1]).sort();
/** Records the attribute list (as istat prints it) places attributes of `type` in, besides the base. */
function listedElsewhere(img: string, n: number, type: number): number[] {
  const out = new Set<number>();
  for (const m of istat(img, n).matchAll(/Type: (\d+)-\d+ \tMFT Entry: (\d+)/g)) if (Number(m[1]) === type && Number(m[2]) !== n) out.add(Number(m[2]));
  return [...out].sort((a, b) => a - b);
}
/** sha256 of the unnamed $DATA of every allocated file inode fls lists, by path. */
function icatAll(img: string): Map<string, string> {
  const out = new Map<string, string>();
  const byInode = new Map<string, string>();
  for (const line of flsAllocated(img)) {
    const [kind, path] = line.split('\t');
    const m = /^r\/r (\d+)-128-\d+:?$/.exec(kind.replace(/\s+$/, ''));
    if (!m || path.includes(':') || path.startsWith('$')) continue;
    // Hard links share one inode: read it once.
    let hash = byInode.get(m[1]);
    if (!hash) byInode.set(m[1], (hash = createHash('sha256').update(execFileSync('icat', [img, m[1]], { maxBuffer: 64 << 20 })).digest('hex')));
    out.set(path, hash);
  }
  return out;
}
const names = (img: string): string[] => flsAllocated(img).map((l) => l.split('\t')[1]).sort();

async function remove(img: string, targets: DeleteTarget[], unlinkName: boolean) {
  const src = await WritableFileSource.openWritable(img);
  try {
    return await deleteFiles(src, targets, { unlinkName });
  } finally {
    await src.close();
  }
}
async function check(img: string) {
  const src = await WritableFileSource.openWritable(img);
  try {
    return await checkVolume(src);
  } finally {
    await src.close();
  }
}

describe('names and streams in extension records (mkntfs + ntfs-3g)', () => {
  let dir: string;
  let img: string;
  beforeAll(() => {
    if (skip) return;
    dir = mkdtempSync(join(tmpdir(), 'coldfix-extrec-'));
    img = join(dir, 'vol.img');
    run('bash', ['-c', `truncate -s 64M "${img}" && mkntfs -F -Q -q -T -s 512 -c 4096 -L ext "${img}" >/dev/null 2>&1`]);
    run('bash', ['-c', mountScript(img, TREE)]);
  }, 600_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf((skip) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')(`the volume really has them, and check() agrees with ntfsfix -n that it is sound${skip ? ` (skipped: ${missing.join(', ')} missing)` : ''}`, async () => {
    const target = inode(img, '/d1/target.txt');
    expect(listedElsewhere(img, target, 48).length).toBeGreaterThan(1);
    const streams = inode(img, '/s.txt');
    expect(listedElsewhere(img, streams, 128).length).toBeGreaterThan(20);
    expect(links(img, target)).toBe(161);
    expect(ntfsfixDry(img).ok).toBe(true);
    expect((await check(img)).findings).toEqual([]);
    // The CLI's verdicts too: `coldfix check` and `coldfix verify` (built by tsc -b, as the test command does).
    const cli = join(fileURLToPath(new URL('.', import.meta.url)), '../../../cli/bin/coldfix.js');
    for (const command of ['check', 'verify']) {
      const r = spawnSync(process.execPath, [cli, command, img], { encoding: 'utf8', timeout: 300_000 });
      expect(r.status, `${command}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/clean/i);
    }
  }, 300_000);

  it.skipIf((skip) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('unlinking one of 50 hard links leaves 49 (fls, istat link count); a Win32/DOS pair goes together', async () => {
    const u = inode(img, '/d3/u.txt');
    const dos = inode(img, '/Long Name For Dos.txt');
    const before = names(img);
    const dosLinks = links(img, dos);
    expect(istatNames(img, dos)).toEqual(['LONGNA~1.TXT', 'Long Name For Dos.txt', 'dlink.txt'].sort());
    const r = await remove(img, ['/d3/u link 7.txt', '/Long Name For Dos.txt'], true);
    expect(r.files.map((f) => [f.outcome, f.linksLeft])).toEqual([['name', 49], ['name', 1]]);
    const after = names(img);
    // fls shows no DOS names; istat shows the record's $FILE_NAMEs: the DOS name went with its Win32 name.
    expect(before.filter((p) => !after.includes(p)).sort()).toEqual(['Long Name For Dos.txt', 'd3/u link 7.txt'].sort());
    expect(istatNames(img, dos)).toEqual(['dlink.txt']);
    expect(after.filter((p) => !before.includes(p))).toEqual([]);
    expect(links(img, u)).toBe(49);
    expect(links(img, dos)).toBe(dosLinks - 2);
    expect(after).toContain('d3/dlink.txt');
    expect(ntfsfixDry(img).ok).toBe(true);
    expect((await check(img)).findings).toEqual([]);
  }, 300_000);

  it.skipIf((skip) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('deletes a file with every name (by path, all links) and one with streams in 100+ extension records (by reference): exactly those names go, records freed, every other file unchanged', async () => {
    const target = inode(img, '/d1/target.txt');
    const streams = inode(img, '/s.txt');
    const freedWith = [...new Set([...listedElsewhere(img, target, 48), ...listedElsewhere(img, target, 16), ...listedElsewhere(img, streams, 128)])];
    const seqs = new Map([target, streams, ...freedWith].map((n) => [n, sequence(img, n)]));
    const before = names(img);
    const hashes = icatAll(img);
    const r = await remove(img, ['/d2/other 17.txt', { record: streams, sequence: seqs.get(streams)! }], false);
    expect(r.files.map((f) => f.outcome)).toEqual(['file', 'file']);
    const after = names(img);
    const gone = before.filter((p) => !after.includes(p));
    expect(gone.filter((p) => !p.startsWith('s.txt')).sort()).toEqual(before.filter((p) => /^d1\/(target|link number)|^d2\/other/.test(p)).sort());
    expect(gone.filter((p) => !/^(d1\/(target|link number)|d2\/other)/.test(p)).sort()).toEqual(before.filter((p) => p === 's.txt' || p.startsWith('s.txt:')).sort());
    for (const [n, s] of seqs) {
      const text = istat(img, n);
      expect(/^Allocated (File|Directory)$/m.test(text), `record ${n}`).toBe(false);
      expect(Number(/Sequence: (\d+)/.exec(text)![1]), `record ${n}`).toBe(s + 1);
    }
    const now = icatAll(img);
    for (const [path, hash] of now) expect(hash, path).toBe(hashes.get(path));
    expect([...hashes.keys()].filter((p) => !now.has(p)).sort()).toEqual(gone.filter((p) => hashes.has(p)).sort());
    expect(ntfsfixDry(img).ok).toBe(true);
    expect((await check(img)).findings).toEqual([]);
  }, 600_000);

  it.skipIf((skip) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('ntfs-3g still lists and deletes in the touched directories; the volume stays sound', async () => {
    const out = withMount(img, 'ls d1 d2 d3 | wc -l; rm "d1/keep 1.bin" "d2/keep 2.bin" "d3/u link 9.txt"; ls d1 d2 d3 | wc -l');
    const [a, b] = out.trim().split('\n').map(Number);
    expect(a - b).toBe(3);
    expect(names(img)).not.toContain('d3/u link 9.txt');
    expect(links(img, inode(img, '/d3/u.txt'))).toBe(48);
    expect(ntfsfixDry(img).ok).toBe(true);
    expect((await check(img)).findings).toEqual([]);
  }, 300_000);
});
