/**
 * `coldfix repair` end to end over the containers and partition schemes: raw GPT (the full
 * windows-sample), dynamic VHD (windows-sample-vhd), raw MBR, fixed VHD (MBR), differencing VHD
 * (writes land in the child only; the parent's sha256 is unchanged). After each repair the
 * independent tools (qemu-img convert, fls, tsk_recover, ntfsls, ntfsfix -n) must show every match
 * gone and every other file byte-identical; `coldfix verify` must say clean.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureImages, type CatalogEntry, type FileFact } from '@coldfix/test-images';
import { createDifferencingVhd } from '@coldfix/disk-image';
import { buildCli, coldfix, coldfixJson } from './helpers/cli.js';
import { ensureE2eImages, type E2eImages } from './helpers/e2e-images.js';
import { channel291, expectRemovedExactly, oracleView } from './helpers/checks.js';
import { fls, mustRun, scratchDir, sha256File } from './helpers/tools.js';
import { expectSoundVhd } from './helpers/vhd-structure.js';

interface Report {
  result: string;
  format: string;
  variant: string;
  volumes: { partition: number; matches: { path: string; action: string }[] }[];
  verification: { result: string } | null;
}

let images: E2eImages;
let sample: CatalogEntry;
let sampleVhd: CatalogEntry;
let work: string;

beforeAll(async () => {
  const [catalog, e2e] = await Promise.all([ensureImages(['windows-sample', 'windows-sample-vhd']), ensureE2eImages(), buildCli()]);
  images = e2e;
  sample = catalog.entries['windows-sample']!;
  sampleVhd = catalog.entries['windows-sample-vhd']!;
  work = await scratchDir('e2e');
  return () => rm(work, { recursive: true, force: true });
});

/** The catalog's facts of the windows-sample volume as tsk_recover names them: path → sha256. */
async function sampleFacts(entry: CatalogEntry): Promise<{ before: Record<string, string>; crowdstrike: { path: string; name: string; classification: string }[]; offset: number; size: number }> {
  const volume = entry.volumes.find((v) => v.fs === 'ntfs')!;
  const { readFile } = await import('node:fs/promises');
  const files = JSON.parse(await readFile(volume.filesPath!, 'utf8')) as FileFact[];
  const before = Object.fromEntries(files.filter((f) => f.type === 'file' && f.sha256).map((f) => [f.path.slice(1), f.sha256!]));
  return { before, crowdstrike: (entry.extra as { crowdstrike: { path: string; name: string; classification: string }[] }).crowdstrike, offset: volume.offset, size: volume.size };
}

async function repairAndCheck(image: string, format: 'raw' | 'vpc' | 'vhd-differencing', before: Record<string, string>, gone: string[], offset: number, size: number, expectFormat: string): Promise<Report> {
  const { code, json, stderr } = await coldfixJson<Report>(['repair', image, '--quarantine-dir', `${image}.q`]);
  expect(code, stderr + JSON.stringify(json).slice(0, 1500)).toBe(0);
  expect(json.result).toBe('repaired');
  expect(json.format).toBe(expectFormat);
  expect(json.verification?.result).toBe('clean');
  expect(json.volumes.flatMap((v) => v.matches)).toHaveLength(gone.length);
  const view = await oracleView(image, format, offset, size);
  expectRemovedExactly(view, before, gone);
  const verify = await coldfix(['verify', image]);
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  expect(verify.stdout).toMatch(/verify: clean/);
  return json;
}

describe('repair end to end, plain volumes', { timeout: 300_000 }, () => {
  it('raw GPT: the full windows-sample (~4,800 files): matches gone, every other file identical per tsk_recover', async () => {
    const image = join(work, 'windows-sample.img');
    await mustRun('cp', ['--sparse=always', sample.image, image]);
    const facts = await sampleFacts(sample);
    await repairAndCheck(image, 'raw', facts.before, channel291(facts.crowdstrike), facts.offset, facts.size, 'raw');
    // fls straight on the disk image at the partition's sector agrees.
    const entries = await fls(image, { sector: facts.offset / 512 });
    for (const path of channel291(facts.crowdstrike)) expect(entries.filter((e) => e.path === path && !e.deleted)).toEqual([]);
    await rm(image);
  });

  it('dynamic VHD (windows-sample-vhd)', async () => {
    const image = join(work, 'windows-sample.vhd');
    await mustRun('cp', ['--sparse=always', sampleVhd.image, image]);
    const facts = await sampleFacts(sampleVhd);
    const report = await repairAndCheck(image, 'vpc', facts.before, channel291(facts.crowdstrike), facts.offset, facts.size, 'vhd');
    expect(report.variant).toBe('dynamic');
    await expectSoundVhd(image, 'Dynamic');
    await rm(image);
  });

  it('raw MBR', async () => {
    const image = join(work, 'mini-mbr.img');
    await mustRun('cp', ['--sparse=always', images.miniMbr, image]);
    await repairAndCheck(image, 'raw', images.before, channel291(images.crowdstrike), images.volumeOffset, images.volumeSize, 'raw');
  });

  it('fixed VHD (MBR)', async () => {
    const image = join(work, 'mini-mbr-fixed.vhd');
    await mustRun('cp', ['--sparse=always', images.miniMbrFixedVhd, image]);
    const report = await repairAndCheck(image, 'vpc', images.before, channel291(images.crowdstrike), images.volumeOffset, images.volumeSize, 'vhd');
    expect(report.variant).toBe('fixed');
    await expectSoundVhd(image, 'Fixed');
  });

  it('differencing VHD: the repair writes into the child only; the parent is unchanged', async () => {
    const parent = join(work, 'parent.vhd');
    await mustRun('cp', ['--sparse=always', images.miniGptDynamicVhd, parent]);
    const parentSha = await sha256File(parent);
    const child = join(work, 'child.vhd');
    await createDifferencingVhd(child, parent);
    const info = (await mustRun('vhdiinfo', [child])).stdout;
    expect(info).toMatch(/Disk type\s*: Differential/);
    const childSize = (await stat(child)).size;
    const report = await repairAndCheck(child, 'vhd-differencing', images.before, channel291(images.crowdstrike), images.volumeOffset, images.volumeSize, 'vhd');
    expect(report.variant).toBe('differencing');
    await expectSoundVhd(child, 'Differential');
    expect(await sha256File(parent)).toBe(parentSha);
    expect(existsSync(`${parent}.coldfix-journal`)).toBe(false);
    expect((await stat(child)).size).toBeGreaterThan(childSize); // the changed blocks went into the child
    // The parent alone still holds every match (qemu reads it directly).
    const parentView = await oracleView(parent, 'vpc', images.volumeOffset, images.volumeSize);
    for (const path of channel291(images.crowdstrike)) expect(parentView.allocated).toContain(path);
  });
});
