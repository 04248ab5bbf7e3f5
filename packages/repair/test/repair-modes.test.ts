/**
 * `coldfix repair` modes on a plain raw GPT Windows-like image, run as a child process and judged
 * by independent tools: dry run, quarantine, the kept journal (second repair refused, rollback
 * byte-identical), --only-bad, commit then repair again, --output, the JSON report and exit codes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buildCli, coldfix, coldfixJson } from './helpers/cli.js';
import { ensureE2eImages, type E2eImages } from './helpers/e2e-images.js';
import { CS_DIR, channel291, expectRemovedExactly, oracleView } from './helpers/checks.js';
import { fls, mustRun, scratchDir, sha256File, sha256Of } from './helpers/tools.js';

interface Match {
  rule: string;
  path: string;
  record: number;
  size: number;
  sha256: string;
  modified: string;
  indexModified: string;
  header: string;
  headerMatches: boolean | null;
  classification: string;
  action: string;
  quarantinePath: string | null;
}
interface Report {
  image: string;
  format: string;
  result: string;
  mode: string;
  messages: string[];
  volumes: { partition: number; bitlocker: unknown; windows: string[]; matches: Match[] }[];
  journal: { path: string; state: string } | null;
  quarantineDir: string | null;
  bytesRead: number;
  bytesWritten: number;
  seconds: number;
  verification: { result: string } | null;
}

let images: E2eImages;
let work: string;
let image: string;
let originalSha: string;
/** icat of each 291 file in the original image, by volume path. */
const icatBefore = new Map<string, string>();

const sector = () => images.volumeOffset / 512;
const all291 = () => channel291(images.crowdstrike);

beforeAll(async () => {
  [images] = await Promise.all([ensureE2eImages(), buildCli()]);
  work = await scratchDir('modes');
  image = join(work, 'disk.img');
  await mustRun('cp', ['--sparse=always', images.miniGpt, image]);
  originalSha = await sha256File(image);
  const entries = await fls(image, { sector: sector() });
  for (const path of all291()) {
    const entry = entries.find((e) => e.path === path && !e.deleted);
    expect(entry, `fls lists ${path} in the original`).toBeDefined();
    icatBefore.set(path, await sha256Of('icat', ['-o', String(sector()), image, String(entry!.inode)]));
  }
  return () => rm(work, { recursive: true, force: true });
});

function expectReportShape(report: Report): void {
  for (const key of ['image', 'format', 'result', 'volumes', 'bytesRead', 'bytesWritten', 'seconds']) expect(report).toHaveProperty(key);
  expect(report.format).toBe('raw');
  expect(typeof report.bytesRead).toBe('number');
  expect(report.seconds).toBeGreaterThan(0);
  for (const v of report.volumes) {
    for (const key of ['partition', 'bitlocker', 'windows', 'matches']) expect(v).toHaveProperty(key);
    for (const m of v.matches) {
      for (const key of ['path', 'record', 'size', 'sha256', 'modified', 'indexModified', 'header', 'classification', 'action', 'quarantinePath']) expect(m).toHaveProperty(key);
    }
  }
}

describe('coldfix repair on a plain raw GPT image', { timeout: 300_000 }, () => {
  it('--dry-run: exit 3, result affected, every match reported as the catalog says, image untouched', async () => {
    const { code, json } = await coldfixJson<Report>(['repair', image, '--dry-run']);
    expect(code).toBe(3);
    expect(json.result).toBe('affected');
    expect(json.mode).toBe('dry-run');
    expectReportShape(json);
    expect(json.bytesWritten).toBe(0);
    const volume = json.volumes.find((v) => v.partition === images.gptPartition)!;
    expect(volume.bitlocker).toBeNull();
    expect(volume.windows).toEqual(['\\Windows']);
    const facts = images.crowdstrike.filter((c) => c.name.startsWith('C-00000291'));
    expect(volume.matches.map((m) => m.path.split('\\').pop()).sort()).toEqual(facts.map((f) => f.name).sort());
    for (const fact of facts) {
      const m = volume.matches.find((x) => x.path.endsWith(`\\${fact.name}`))!;
      expect(m.path).toBe(`\\${fact.path.slice(1).split('/').join('\\')}`);
      expect(m.size).toBe(fact.size);
      expect(m.sha256).toBe(fact.sha256);
      expect(m.sha256).toBe(icatBefore.get(fact.path.slice(1)));
      expect(m.classification).toBe(fact.classification);
      expect(Date.parse(m.modified.replace(/(\.\d{3})\d*Z$/, '$1Z'))).toBe(Date.parse(fact.lastWriteIso.replace(/(\.\d{3})\d*Z$/, '$1Z')));
      expect(m.indexModified.slice(0, 19)).toBe(fact.lastWriteIso.slice(0, 19));
      expect(m.header).toMatch(/^[0-9a-f]{16}$/);
      expect(m.headerMatches).toBe(fact.variant === 'aaaa-header');
      expect(m.action).toBe('quarantine');
      expect(m.quarantinePath).toBeNull();
    }
    expect(await sha256File(image)).toBe(originalSha);
    expect(existsSync(`${image}.coldfix-journal`)).toBe(false);
    expect(existsSync(`${image}.coldfix-quarantine`)).toBe(false);
  });

  it('repairs with quarantine; tools show every match gone and all else intact; verify says clean; a second repair finds nothing; rollback restores every byte', async () => {
    const quarantine = join(work, 'q1');
    const { code, json } = await coldfixJson<Report>(['repair', image, '--quarantine-dir', quarantine]);
    expect(code, JSON.stringify(json).slice(0, 2000)).toBe(0);
    expect(json.result).toBe('repaired');
    expectReportShape(json);
    expect(json.bytesWritten).toBeGreaterThan(0);
    expect(json.verification?.result).toBe('clean');
    expect(json.journal?.state).toBe('kept');
    expect(existsSync(json.journal!.path)).toBe(true);

    // Quarantine: every stream's sha256 equals icat of the original; the manifest has its fields.
    const matches = json.volumes.flatMap((v) => v.matches);
    expect(matches).toHaveLength(4);
    for (const m of matches) {
      expect(m.quarantinePath).not.toBeNull();
      expect(m.quarantinePath!.startsWith(quarantine)).toBe(true);
      const volumePath = m.path.slice(1).split('\\').join('/');
      expect(await sha256File(join(m.quarantinePath!, 'data.bin'))).toBe(icatBefore.get(volumePath));
      const manifest = JSON.parse(await readFile(join(m.quarantinePath!, 'manifest.json'), 'utf8')) as Record<string, unknown>;
      for (const key of ['originalPath', 'record', 'sequence', 'size', 'sha256', 'rule', 'classification', 'standardInformation', 'fileNames', 'streams', 'mftRecords']) expect(manifest).toHaveProperty(key);
      expect(manifest.originalPath).toBe(m.path);
      expect(manifest.sha256).toBe(icatBefore.get(volumePath));
      const records = manifest.mftRecords as { file: string }[];
      const raw = await readFile(join(m.quarantinePath!, records[0]!.file));
      expect(raw.subarray(0, 4).toString('latin1')).toBe('FILE');
    }

    const view = await oracleView(image, 'raw', images.volumeOffset, images.volumeSize);
    expectRemovedExactly(view, images.before, all291());
    // fls on the disk image itself, at the partition's sector, agrees.
    const onDisk = await fls(image, { sector: sector() });
    for (const path of all291()) expect(onDisk.filter((e) => e.path === path && !e.deleted)).toEqual([]);

    const verify = await coldfix(['verify', image]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/clean/);

    // Nothing left to do: a second repair writes nothing and says so (the journal is untouched).
    const again = await coldfixJson<Report>(['repair', image]);
    expect(again.code).toBe(0);
    expect(again.json.result).toBe('clean');
    expect(existsSync(json.journal!.path)).toBe(true);

    const rollback = await coldfix(['rollback', image]);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(await sha256File(image)).toBe(originalSha);
    expect(existsSync(json.journal!.path)).toBe(false);
  });

  it('--only-bad removes only the bad files; a repair that would write while its journal is kept is refused (exit 4); commit, repair again, then clean', async () => {
    const { code, json } = await coldfixJson<Report>(['repair', image, '--only-bad', '--quarantine-dir', join(work, 'q2')]);
    expect(code).toBe(0);
    expect(json.result).toBe('repaired');
    const matches = json.volumes.flatMap((v) => v.matches);
    for (const m of matches) expect(m.action).toBe(m.classification === 'bad' ? 'quarantine' : 'none');
    const bad = channel291(images.crowdstrike, ['bad']);
    expect(bad).toHaveLength(2);
    const view = await oracleView(image, 'raw', images.volumeOffset, images.volumeSize);
    expectRemovedExactly(view, images.before, bad);
    for (const path of channel291(images.crowdstrike, ['good', 'unknown'])) expect(view.allocated).toContain(path);

    const verifyBad = await coldfix(['verify', image, '--only-bad']);
    expect(verifyBad.code).toBe(0);
    const verifyAll = await coldfix(['verify', image]);
    expect(verifyAll.code).toBe(3); // good/unknown 291 files are still there

    // A second repair that would write while the first one's journal is kept: refused, image untouched.
    const shaAfterOnlyBad = await sha256File(image);
    const journal = await readFile(json.journal!.path);
    const refused = await coldfixJson<Report>(['repair', image, '--quarantine-dir', join(work, 'q2b')]);
    expect(refused.code).toBe(4);
    expect(refused.json.result).toBe('refused');
    expect(refused.json.messages.join(' ')).toMatch(/journal/i);
    expect(await sha256File(image)).toBe(shaAfterOnlyBad);
    expect(Buffer.compare(await readFile(json.journal!.path), journal)).toBe(0);

    const commit = await coldfix(['commit', image]);
    expect(commit.code, commit.stderr).toBe(0);
    expect(existsSync(`${image}.coldfix-journal`)).toBe(false);

    const second = await coldfixJson<Report>(['repair', image, '--quarantine-dir', join(work, 'q3'), '--commit']);
    expect(second.code).toBe(0);
    expect(second.json.result).toBe('repaired');
    expect(second.json.journal?.state).toBe('committed');
    const third = await coldfixJson<Report>(['repair', image]);
    expect(third.code).toBe(0);
    expect(third.json.result).toBe('clean');
    const after = await oracleView(image, 'raw', images.volumeOffset, images.volumeSize);
    expectRemovedExactly(after, images.before, all291());
    expect((await coldfix(['verify', image])).code).toBe(0);
  });

  it('--output writes a repaired copy and leaves the original byte-identical', async () => {
    const original = join(work, 'original.img');
    await mustRun('cp', ['--sparse=always', images.miniGpt, original]);
    const copy = join(work, 'repaired.img');
    const { code, json } = await coldfixJson<Report>(['repair', original, '--output', copy, '--quarantine-dir', join(work, 'q4')]);
    expect(code).toBe(0);
    expect(json.result).toBe('repaired');
    expect(json.mode).toBe('output');
    expect(await sha256File(original)).toBe(originalSha);
    expect(existsSync(`${original}.coldfix-journal`)).toBe(false);
    // Sparse where the format allows: the copy does not allocate the whole virtual size.
    const st = await stat(copy);
    expect(st.size).toBe((await stat(original)).size);
    expect(st.blocks * 512).toBeLessThan(st.size);
    const view = await oracleView(copy, 'raw', images.volumeOffset, images.volumeSize);
    expectRemovedExactly(view, images.before, all291());
    expect((await coldfix(['verify', copy])).code).toBe(0);
    const refused = await coldfix(['repair', original, '--output', copy]);
    expect(refused.code).not.toBe(0); // never overwrites an existing file
    expect(await sha256File(original)).toBe(originalSha);
  });

  it('bad input: exit 2 with one line naming the file', async () => {
    const missing = join(work, 'no-such.img');
    const r = await coldfix(['repair', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('no-such.img');
    const empty = join(work, 'garbage.img');
    await mustRun('truncate', ['-s', '1000', empty]);
    const g = await coldfix(['verify', empty]);
    expect([2, 0]).toContain(g.code); // 1000 zero bytes: no table, no volume → nothing to verify, or bad input
    expect(g.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    expect((await readdir(work)).filter((n) => n.includes('garbage') && n !== 'garbage.img')).toEqual([]);
  });
});
