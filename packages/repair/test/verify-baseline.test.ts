/**
 * A repair's verification agrees with the scan on which volumes it sees (isScannable): a volume the
 * repair wrote that the scan no longer reads as NTFS makes the verification inconsistent, instead of
 * its early scoped check failing unseen and the image passing as clean.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { crowdstrike291, verifyImage, type Baseline } from '@coldfix/repair';
import { openImage } from '@coldfix/volumes';
import { ensureE2eImages, type E2eImages } from './helpers/e2e-images.js';

let images: E2eImages;

beforeAll(async () => {
  images = await ensureE2eImages();
}, 600_000);

/** A rule that matches nothing: the verification's answer then rests on the checks alone. */
const none = { ...crowdstrike291, id: 'none', path: '%SystemRoot%\\System32\\drivers\\CrowdStrike\\no-such-file-*.sys' };

function baselineFor(partitions: number[], fullCheck: boolean): Baseline {
  const empty = { directories: [], records: [], freedRuns: [] };
  return {
    directories: new Map(),
    bitlockerMetadata: new Map(),
    deleted: new Map(partitions.map((p) => [p, new Set<number>()])),
    findings: new Map(),
    scopes: fullCheck ? new Map() : new Map(partitions.map((p) => [p, empty])),
    fullCheck,
  };
}

describe('verification against a baseline', { timeout: 300_000 }, () => {
  it('a written partition the scan does not read (the EFI FAT32 partition of mini-gpt) is inconsistent, scoped or full', async () => {
    const opened = await openImage(images.miniGpt);
    const fat = opened.volumes.find((v) => v.partition !== images.gptPartition && v.content !== 'ntfs');
    await opened.close();
    expect(fat, 'mini-gpt has a non-NTFS partition').toBeDefined();
    for (const fullCheck of [false, true]) {
      const report = await verifyImage(images.miniGpt, {}, { rules: [none] }, baselineFor([fat!.partition], fullCheck));
      expect(report.result, `fullCheck ${fullCheck}`).toBe('inconsistent');
      expect(report.details.join('\n')).toMatch(new RegExp(`partition ${fat!.partition}: written by the repair, but no longer a readable NTFS volume`));
    }
  });

  it('the written NTFS partition itself, untouched since, verifies clean (scoped)', async () => {
    const report = await verifyImage(images.miniGpt, {}, { rules: [none] }, baselineFor([images.gptPartition], false));
    expect(report.result, report.details.join('\n')).toBe('clean');
    expect(report.volumes.find((v) => v.partition === images.gptPartition)?.check?.scope).toBe('touched');
  });
});
