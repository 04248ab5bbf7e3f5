/**
 * The repair's default consistency check covers what the repair touched (docs/repair.md): a
 * pre-existing inconsistency inside that scope is found before and after the write, reported, and
 * does not fail the repair; the journaled open used for the plan writes nothing when the repair
 * stops before writing (dry run on a clean image, refusal).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkScope, scopeClaims } from '@coldfix/ntfs';
import { crowdstrike291, repairImage, scanImage } from '@coldfix/repair';
import { openImage } from '@coldfix/volumes';
import { ensureE2eImages, type E2eImages } from './helpers/e2e-images.js';
import { mustRun, scratchDir, sha256File } from './helpers/tools.js';

let images: E2eImages;
let work: string;

beforeAll(async () => {
  images = await ensureE2eImages();
  work = await scratchDir('scope');
  return () => rm(work, { recursive: true, force: true });
}, 600_000);

/** Changes one byte of $MFTMirr's copy of record 3 (a byte no fixup covers): MFT_MIRROR_MISMATCH, in every check's scope. */
async function spoilMirror(image: string, volumeOffset: number): Promise<void> {
  const handle = await open(image, 'r+');
  try {
    const boot = Buffer.alloc(512);
    await handle.read(boot, 0, 512, volumeOffset);
    const clusterSize = boot.readUInt16LE(0x0b) * boot.readUInt8(0x0d);
    const perRecord = boot.readInt8(0x40);
    const recordSize = perRecord < 0 ? 2 ** -perRecord : perRecord * clusterSize;
    const at = volumeOffset + Number(boot.readBigUInt64LE(0x38)) * clusterSize + 3 * recordSize + 0x300;
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    byte[0] ^= 0x5a;
    await handle.write(byte, 0, 1, at);
  } finally {
    await handle.close();
  }
}

describe('the scoped check of a repair', { timeout: 300_000 }, () => {
  it('scope: the parent directory, the records and their clusters; clean on the sample; a mirror mismatch is found', async () => {
    const image = join(work, 'scope.img');
    await mustRun('cp', ['--sparse=always', images.miniGpt, image]);
    const check = async () => {
      const opened = await openImage(image);
      try {
        const [scanned] = await scanImage(opened, { rules: [crowdstrike291] });
        const volume = await opened.ntfs(scanned.entry.partition);
        const scope = await scopeClaims(volume, scanned.report.matches.map((m) => m.record));
        expect(scope.directories).toEqual([...new Set(scanned.report.matches.map((m) => m.parentRecord))]);
        expect(scope.records).toEqual(expect.arrayContaining(scanned.report.matches.map((m) => m.record)));
        return await checkScope(volume, scope);
      } finally {
        await opened.close();
      }
    };
    expect(await check()).toEqual({ clean: true, findings: [] });
    // Clusters a file still holds, given as freed by a scope that leaves the file out: marked in $Bitmap, claimed by none in scope.
    const opened = await openImage(image);
    try {
      const [scanned] = await scanImage(opened, { rules: [crowdstrike291] });
      const volume = await opened.ntfs(scanned.entry.partition);
      const nonResident = scanned.report.matches.find((m) => m.size > 4096)!;
      const { freedRuns } = await scopeClaims(volume, [nonResident.record]);
      expect(freedRuns.length).toBeGreaterThan(0);
      const orphaned = await checkScope(volume, { directories: [], records: [], freedRuns });
      expect(orphaned.findings.map((f) => f.code)).toEqual(['CLUSTER_MARKED_UNCLAIMED']);
    } finally {
      await opened.close();
    }
    await spoilMirror(image, images.volumeOffset);
    const after = await check();
    expect(after.findings.map((f) => f.code)).toEqual(['MFT_MIRROR_MISMATCH']);
  });

  it('a pre-existing finding inside the scope is reported, counted as pre-existing, and does not fail the repair', async () => {
    const image = join(work, 'preexisting.img');
    await mustRun('cp', ['--sparse=always', images.miniGpt, image]);
    await spoilMirror(image, images.volumeOffset);
    const report = await repairImage(image, { rules: [crowdstrike291], quarantineDir: `${image}.q` });
    expect(report.result, JSON.stringify(report.verification)).toBe('repaired');
    const volume = report.volumes.find((v) => v.matches.length > 0)!;
    expect(volume.check).toMatchObject({ clean: false, scope: 'touched', preexisting: 1 });
    expect(volume.check?.findings.map((f) => f.code)).toEqual(['MFT_MIRROR_MISMATCH']);
    expect(report.verification?.details.join(' ')).toMatch(/already present before the repair/);
  });

  it('the journaled plan open writes nothing when the repair stops before writing: no journal, image unchanged', async () => {
    const image = join(work, 'stop.img');
    await mustRun('cp', ['--sparse=always', images.miniGpt, image]);
    const sha = await sha256File(image);
    // A rule that matches nothing: the plan runs on the journaled open and the repair ends `clean`.
    const none = { ...crowdstrike291, id: 'none', path: '%SystemRoot%\\System32\\drivers\\CrowdStrike\\no-such-file-*.sys' };
    const report = await repairImage(image, { rules: [none] });
    expect(report.result).toBe('clean');
    expect(existsSync(`${image}.coldfix-journal`)).toBe(false);
    expect(await sha256File(image)).toBe(sha);
  });

  it('an image the journal cannot be opened on is still planned: clean when nothing matches, refused when a write is needed', async () => {
    const image = join(work, 'pending.img');
    await mustRun('cp', ['--sparse=always', images.miniGpt, image]);
    // A journal already beside the image: opening for writing is refused (JOURNAL_PENDING).
    await writeFile(`${image}.coldfix-journal`, 'not ours');
    const none = { ...crowdstrike291, id: 'none', path: '%SystemRoot%\\System32\\drivers\\CrowdStrike\\no-such-file-*.sys' };
    expect((await repairImage(image, { rules: [none] })).result).toBe('clean');
    const report = await repairImage(image, { rules: [crowdstrike291] });
    expect(report.result).toBe('refused');
    expect(report.volumes.flatMap((v) => v.matches).length).toBeGreaterThan(0);
    expect(report.messages.join(' ')).toMatch(/journal/i);
  });
});
