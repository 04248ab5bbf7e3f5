/**
 * `coldfix batch` on one machine over a manifest of 20 images (copies and differencing children of
 * catalog images): 10 affected children of one dynamic VHD (its parent listed too), 3 BitLocker
 * children of the BitLocker VHD with the right keys file and one with a wrong one (parent listed too),
 * one child repaired beforehand, one child with a corrupt dynamic header, two clean raw NTFS disks.
 * Expected values come from the catalog's facts (which images hold bad channel files) and from how
 * the images were made, not from a run of ours. Checked: exact counts; corrupt, wrong-key and parent
 * images byte-identical; SIGINT mid-batch leaves no unfinished journal and `--resume` runs only the
 * rest; every repaired image then answers clean to `coldfix verify`; a second run answers clean;
 * `--shard 1/3..3/3` in three processes cover every image exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { open, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { findJournal } from '@coldfix/io';
import type { ResultLine } from '../src/index.js';
// The repair suite's oracle helpers: libvhdi (vhdimount) for the chain, dislocker-file, TSK fls.
import { allocatedFiles, extractVolume, fls, vhdiToRaw } from '../../repair/test/helpers/tools.js';
import { catalogImage, hasTool, makeChildren, readLines, requireOracles, runCli, scratch, sha256File, sparseCopy, startCli, waitFor } from './helpers.js';

const winVhd = catalogImage('windows-sample-vhd', 'windows-sample-vhd.vhd');
const blVhd = catalogImage('windows-sample-bitlocker-vhd', 'windows-sample-bitlocker.vhd');
const haveImages = existsSync(winVhd) && existsSync(blVhd) && hasTool('mkntfs');
const skip = !haveImages && !requireOracles;
// The catalog's BitLocker facts (test-images/src: windows-sample-bitlocker-vhd).
// The BitLocker sample's recovery protector and password, from its catalog facts: the protector GUIDs are
// new at every build of the sample, so a GUID written here would match only the cache it was copied from.
interface BitLockerFacts {
  recoveryPassword: string;
  protectors: { guid: string; type: string }[];
}
const blFacts = existsSync(blVhd) ? (JSON.parse(readFileSync(join(blVhd, '../entry.json'), 'utf8')) as { extra: { bitlocker: BitLockerFacts } }).extra.bitlocker : null;
const RECOVERY_PROTECTOR = `{${blFacts?.protectors.find((p) => p.type === 'recovery-password')?.guid ?? 'missing'}}`;
const RECOVERY_PASSWORD = blFacts?.recoveryPassword ?? 'missing';
const WRONG_PASSWORD = '000011-000022-000033-000044-000055-000066-000077-000088';

// Catalog facts (windows-sample-vhd's entry.json): the channel-291 files the default rule acts on, and the Windows partition.
interface CatalogFacts {
  extra: { crowdstrike: { path: string; name: string }[]; windowsPartition: { offset: number; size: number } };
}
const facts = existsSync(winVhd) ? (JSON.parse(readFileSync(join(winVhd, '../entry.json'), 'utf8')) as CatalogFacts).extra : null;
const oracles = hasTool('vhdimount') && hasTool('dislocker-file') && hasTool('fls');

let dir: string;
let manifest: string;
const hashes = new Map<string, string>();
const expected = new Map<string, string>();

beforeAll(async () => {
  if (skip) return;
  dir = await scratch('fleet-local');
  const winBase = join(dir, 'win-base.vhd');
  const blBase = join(dir, 'bl-base.vhd');
  sparseCopy(winVhd, winBase);
  sparseCopy(blVhd, blBase);
  const win = Array.from({ length: 12 }, (_, i) => join(dir, `win-${String(i).padStart(2, '0')}.vhd`));
  const bl = Array.from({ length: 4 }, (_, i) => join(dir, `bl-${i}.vhd`));
  await makeChildren(winBase, win);
  await makeChildren(blBase, bl);
  await writeFile(join(dir, 'good-keys.csv'), `Key ID,Recovery Key\n${RECOVERY_PROTECTOR},${RECOVERY_PASSWORD}\n`);
  await writeFile(join(dir, 'wrong-keys.csv'), `Key ID,Recovery Key\n${RECOVERY_PROTECTOR},${WRONG_PASSWORD}\n`);
  // Corrupt: the child's dynamic header ("cxsparse" at 512) checksum broken.
  const corrupt = win[10];
  const handle = await open(corrupt, 'r+');
  await handle.write(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4, 512 + 36);
  await handle.close();
  // Already repaired before the batch: a plain `coldfix repair --commit`.
  const before = await runCli(['repair', win[11], '--commit']);
  expect(before.code, before.stderr).toBe(0);
  const clean = [join(dir, 'clean-0.img'), join(dir, 'clean-1.img')];
  for (const c of clean) {
    execFileSync('truncate', ['-s', '16M', c]);
    execFileSync('mkntfs', ['-F', '-Q', '-q', c]);
  }
  const lines = [
    ...win.map((image) => ({ image })),
    { image: winBase },
    ...bl.map((image, i) => ({ image, keys: i === 3 ? 'wrong-keys.csv' : 'good-keys.csv' })),
    { image: blBase },
    ...clean.map((image) => ({ image, action: 'repair' })),
  ].map((l) => ({ ...l, image: l.image.slice(dir.length + 1) }));
  expect(lines).toHaveLength(20);
  manifest = join(dir, 'manifest.jsonl');
  await writeFile(manifest, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  for (const image of win.slice(0, 10)) expected.set(image, 'repaired');
  expected.set(corrupt, 'error');
  expected.set(win[11], 'clean');
  for (const image of bl.slice(0, 3)) expected.set(image, 'repaired');
  expected.set(bl[3], 'error');
  for (const image of clean) expected.set(image, 'clean');
  for (const image of [corrupt, bl[3], winBase, blBase, win[11]]) hashes.set(image, await sha256File(image));
}, 600_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf((skip) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')(`coldfix batch over 20 images${skip ? ' (skipped: catalog images or mkntfs missing)' : ''}`, () => {
  it('SIGINT stops handing out images; --resume finishes only the rest; exact counts; nothing half-written', async () => {
    const results = join(dir, 'results.jsonl');
    const first = startCli(['batch', manifest, '--results', results, '--jobs', '2', '--json']);
    await waitFor(() => first.stdout().includes('"event":"image"'), 300_000, 'a first finished image');
    first.child.kill('SIGINT');
    const run1 = await first.done;
    const lines1 = await readLines<ResultLine>(results);
    const summary1 = JSON.parse(run1.stdout.trim().split('\n').at(-1)!) as { event: string; skipped: { notStarted: number }; interrupted: boolean };
    expect(summary1.event, `exit ${run1.code} ${run1.signal}: ${run1.stderr}`).toBe('summary');
    // Interrupted after at least one image, before the 18 runnable ones were all handed out.
    expect(lines1.length).toBeGreaterThanOrEqual(1);
    expect(lines1.length).toBeLessThan(18);
    expect(summary1.interrupted).toBe(true);
    expect(summary1.skipped.notStarted).toBe(18 - lines1.length);
    expect(run1.code).toBe(lines1.some((l) => l.result === 'error') ? 2 : 7); // 7: interrupted with nothing worse (docs/cli.md exit codes)
    // No image half-written: no unfinished journal anywhere (a kept journal is a finished repair's).
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.coldfix-journal')) continue;
      const image = join(dir, name.replace(/\.coldfix-journal$/, ''));
      expect(lines1.map((l) => l.image)).toContain(image);
      expect((await findJournal(image))?.state, image).toBe('complete');
    }

    const run2 = await runCli(['batch', manifest, '--results', results, '--resume', '--jobs', '2', '--json']);
    const lines = await readLines<ResultLine>(results);
    const lines2 = lines.slice(lines1.length);
    // The resumed run ran exactly the images the first did not finish.
    expect(new Set(lines2.map((l) => l.image))).toEqual(new Set([...expected.keys()].filter((i) => !lines1.some((l) => l.image === i))));
    const summary2 = JSON.parse(run2.stdout.trim().split('\n').at(-1)!) as { skipped: { resumed: number; sharedParent: number }; results: Record<string, number> };
    expect(summary2.skipped.resumed).toBe(lines1.length);
    expect(summary2.skipped.sharedParent).toBe(2);
    expect(run2.code).toBe(2); // bad input: the corrupt image and the wrong key (do not retry)

    // Each image exactly once over both runs, with the expected result.
    expect(lines.map((l) => l.image).sort()).toEqual([...expected.keys()].sort());
    for (const line of lines) expect(line.result, line.image).toBe(expected.get(line.image));
    const counts: Record<string, number> = {};
    for (const line of lines) counts[line.result] = (counts[line.result] ?? 0) + 1;
    expect(counts).toEqual({ repaired: 13, clean: 3, error: 2 });
    const errors = Object.fromEntries(lines.filter((l) => l.result === 'error').map((l) => [l.image.slice(dir.length + 1), l.error && 'code' in l.error ? [l.error.kind, l.error.name] : l.error]));
    expect(errors['win-10.vhd']).toEqual(['corrupt', 'CorruptError']);
    expect(errors['bl-3.vhd']).toEqual(['unlock-failed', 'UnlockError']);
    for (const [image, hash] of hashes) expect(await sha256File(image), image).toBe(hash);
  }, 900_000);

  it('every repaired image verifies clean, and the batch run again answers clean', async () => {
    const again = await runCli(['batch', manifest, '--jobs', '2', '--json']);
    const events = again.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string } & Partial<ResultLine>);
    const byImage = new Map(events.filter((e) => e.event === 'image').map((e) => [e.image!, e.result]));
    for (const [image, result] of expected) expect(byImage.get(image), image).toBe(result === 'repaired' ? 'clean' : result);
    const verify = await runCli(['batch', manifest, '--do', 'verify', '--jobs', '2', '--json']);
    const verified = verify.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string } & Partial<ResultLine>).filter((e) => e.event === 'image');
    for (const [image, result] of expected) if (result === 'repaired') expect(verified.find((e) => e.image === image)?.result, image).toBe('clean');
  }, 600_000);

  it.skipIf(!oracles && !requireOracles)(`a repaired plain child and a repaired BitLocker child, read by libvhdi + dislocker + fls, hold no channel-291 file${oracles ? '' : ' (skipped: vhdimount, dislocker-file or fls missing)'}`, async () => {
    const gone = facts!.crowdstrike.filter((c) => c.name.startsWith('C-00000291')).map((c) => c.path.slice(1));
    expect(gone).toHaveLength(4);
    for (const [image, key] of [[join(dir, 'win-00.vhd'), undefined], [join(dir, 'bl-0.vhd'), { recoveryPassword: RECOVERY_PASSWORD }]] as const) {
      const raw = await vhdiToRaw(image, join(dir, 'oracle.raw'));
      const volume = await extractVolume(raw, facts!.windowsPartition.offset, facts!.windowsPartition.size, join(dir, 'oracle.vol'), key);
      const files = allocatedFiles(await fls(volume));
      expect(files.length, image).toBeGreaterThan(1000);
      for (const path of gone) expect(files, `${image}: ${path}`).not.toContain(path);
      // The other channel files (not 291) are still there.
      expect(files.some((f) => /CrowdStrike\/C-00000289/.test(f)), image).toBe(true);
      await rm(raw);
      await rm(volume);
    }
  }, 600_000);

  it('--shard 1/3, 2/3, 3/3 in three processes cover every image exactly once', async () => {
    const runs = await Promise.all([1, 2, 3].map((i) => runCli(['batch', manifest, '--do', 'info', '--shard', `${i}/3`, '--results', join(dir, `shard-${i}.jsonl`), '--quiet'])));
    for (const run of runs) expect([0, 2], run.stderr).toContain(run.code);
    const seen: string[] = [];
    for (const i of [1, 2, 3]) seen.push(...(await readLines<ResultLine>(join(dir, `shard-${i}.jsonl`))).map((l) => l.image));
    expect(seen.sort()).toEqual([...expected.keys(), join(dir, 'win-base.vhd'), join(dir, 'bl-base.vhd')].sort());
  }, 600_000);
});
