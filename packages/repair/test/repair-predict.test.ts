/**
 * Dry run = real run for `coldfix repair`: the planned deletes are applied to an in-memory overlay
 * and the verification's check runs on that result before anything is written. A volume whose
 * findings would make the post-check fail is refused (exit 4, findings listed) by the dry run and by
 * the real run alike, and the real run never writes the image (sha256, mtime, no journal).
 *
 * The volume: mkntfs + ntfs-3g (packages/ntfs/test/write-fixtures.ts), private copy in a temp folder.
 * The defect, made with dd at offsets from The Sleuth Kit (istat: clusters of each file and of
 * $Bitmap): the clusters of the file the rule deletes and of another file are clear in $Bitmap
 * (CLUSTER_CLAIMED_BUT_FREE). Deleting the one changes what the full check reports about the other
 * (a finding the baseline did not have), so the real run would write, fail and roll back.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVolume, copyVolume } from '../../ntfs/test/write-fixtures.js';
import { buildCli, coldfixJson } from './helpers/cli.js';
import { sha256File } from './helpers/tools.js';

const istat = (img: string, n: number): string => execFileSync('istat', [img, String(n)], { encoding: 'utf8' });
const inode = (img: string, path: string): number => Number(execFileSync('ifind', ['-n', path, img], { encoding: 'utf8' }).trim());
/** Cluster numbers istat lists under a record's first non-resident $DATA attribute. */
function clustersOf(img: string, n: number): number[] {
  const text = istat(img, n);
  const at = text.search(/\$DATA \(128-\d+\)\s+Name: N\/A\s+Non-Resident/);
  return text.slice(at).split('\n').slice(1).join(' ').trim().split(/\s+/).filter((x) => /^\d+$/.test(x)).map(Number);
}

describe('coldfix repair refuses before writing what its verification would roll back', { timeout: 600_000 }, () => {
  let copy: { path: string; dispose: () => void };
  let rules: string;
  beforeAll(async () => {
    await buildCli();
    copy = copyVolume(buildVolume('tree'));
    rules = join(copy.path, '..', 'rules.yaml');
    writeFileSync(rules, "rules:\n  - id: test-frag\n    path: '\\frag.bin'\n    action: delete\n");
    const clusterSize = Number(/Cluster Size: (\d+)/.exec(execFileSync('fsstat', [copy.path], { encoding: 'utf8' }))![1]);
    const bitmapLcn = clustersOf(copy.path, 6)[0];
    const bitmap = execFileSync('icat', [copy.path, '6'], { maxBuffer: 64 << 20 });
    for (const c of [...clustersOf(copy.path, inode(copy.path, '/frag.bin')), ...clustersOf(copy.path, inode(copy.path, '/frag1.bin'))]) bitmap[c >> 3] &= ~(1 << (c & 7));
    const bitmapFile = join(copy.path, '..', 'bitmap.bin');
    writeFileSync(bitmapFile, bitmap);
    execFileSync('dd', [`if=${bitmapFile}`, `of=${copy.path}`, 'bs=1', `seek=${bitmapLcn * clusterSize}`, 'conv=notrunc', 'status=none']);
  }, 600_000);
  afterAll(() => copy?.dispose());

  it('the dry run predicts the refusal (exit 4, findings listed); the real run refuses and never writes', async () => {
    const hash = await sha256File(copy.path);
    const mtime = statSync(copy.path).mtimeMs;
    const dry = await coldfixJson<{ result: string; messages: string[] }>(['repair', copy.path, '--rules', rules, '--full-check', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(4);
    expect(dry.json.result).toBe('refused');
    expect(dry.json.messages.join('\n')).toMatch(/refused before writing[\s\S]*CLUSTER_CLAIMED_BUT_FREE/);

    const real = await coldfixJson<{ result: string; messages: string[] }>(['repair', copy.path, '--rules', rules, '--full-check', '--json']);
    expect(real.code, real.stderr).toBe(4);
    expect(real.json.result).toBe('refused');
    expect(real.json.messages.join('\n')).toMatch(/CLUSTER_CLAIMED_BUT_FREE/);
    expect(await sha256File(copy.path)).toBe(hash);
    expect(statSync(copy.path).mtimeMs).toBe(mtime);
    expect(existsSync(`${copy.path}.coldfix-journal`)).toBe(false);
    expect(() => inode(copy.path, '/frag.bin')).not.toThrow();
  });
});
