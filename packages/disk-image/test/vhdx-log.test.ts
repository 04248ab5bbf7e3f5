/**
 * The VHDX log, with a pending entry made by qemu itself: a write whose BAT
 * update fails once (blkdebug injects EIO on the pwritev of the BAT sector,
 * found through the region table) leaves the log entry durable and the BAT
 * stale. qemu then refuses a read-only open; `qemu-img check -r all` on a copy
 * replays it. Our read-only open must read what qemu reads after that replay,
 * and leave the file's bytes unchanged. Recipe: test-images/README.md, "VHDX
 * with a pending log".
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColdfixError } from '@coldfix/io';
import { openDiskImage, VhdxImage } from '@coldfix/disk-image';
import { run, scratchDir, sha256File, sha256Source } from './helpers.js';
import { batOffset, makePendingLogVhdx, missing, qemuRawDigest } from './vhdx-helpers.js';

const noTools = missing('qemu-img', 'qemu-io');
describe.skipIf((noTools) && process.env.COLDFIX_REQUIRE_ORACLES !== '1')('VHDX pending log made by qemu (skipped without qemu-img/qemu-io)', () => {
  let dir = '';
  let path = '';
  let expected = { sha256: '', size: 0 };
  beforeAll(() => {
    dir = scratchDir('vhdx-pending');
    path = makePendingLogVhdx(dir);
    const replayed = join(dir, 'replayed.vhdx');
    copyFileSync(path, replayed);
    // check -r all exits 0 after repairing ("1 corruptions" repaired).
    run('qemu-img', ['check', '-r', 'all', replayed]);
    expected = qemuRawDigest(replayed);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('qemu itself refuses a read-only open of it ("contains a log that needs to be replayed")', () => {
    let message = '';
    try {
      execFileSync('qemu-img', ['info', path], { stdio: 'pipe' });
    } catch (error) {
      message = String((error as { stderr: Buffer }).stderr);
    }
    expect(message).toMatch(/contains a log that needs to be replayed/);
  });

  it('our read-only open replays in memory: reads equal qemu after check -r all, the file is unchanged', async () => {
    const before = sha256File(path);
    const image = (await openDiskImage(path)) as VhdxImage;
    try {
      expect(image.chain[0].logState).toBe('replayed-in-memory');
      expect(image.log.entries.length).toBeGreaterThan(0);
      expect(image.anomalies.join('\n')).toMatch(/log .* was pending/);
      expect(image.size).toBe(expected.size);
      expect((await image.read(0, 4096)).every((b) => b === 0xa5)).toBe(true);
      expect(await sha256Source(image)).toBe(expected.sha256);
    } finally {
      await image.close();
    }
    expect(sha256File(path)).toBe(before);
  });

  it('without the replay the BAT is stale: the written block is not present in the file as stored', () => {
    const b = readFileSync(path);
    const entry = b.readUInt32LE(batOffset(path));
    expect(entry & 7).not.toBe(6);
  });

  it('a truncated file (shorter than the head entry\'s FlushedFileOffset) is refused with VHDX_TRUNCATED', async () => {
    const cut = join(dir, 'cut.vhdx');
    copyFileSync(path, cut);
    truncateSync(cut, readFileSync(cut).length - (1 << 20));
    const error = (await openDiskImage(cut).then(
      () => undefined,
      (e: unknown) => e as ColdfixError,
    ))!;
    expect(error).toMatchObject({ kind: 'corrupt', code: 'VHDX_TRUNCATED' });
  });

  it('a log whose only entry fails its CRC-32C has no valid sequence: VHDX_LOG_NO_VALID_SEQUENCE', async () => {
    const bad = join(dir, 'bad-log.vhdx');
    const b = readFileSync(path);
    const logOffset = Number(b.readBigUInt64LE(64 * 1024 + 72));
    const headerCurrent = b.readBigUInt64LE(128 * 1024 + 8) > b.readBigUInt64LE(64 * 1024 + 8) ? 128 * 1024 : 64 * 1024;
    expect(Number(b.readBigUInt64LE(headerCurrent + 72))).toBe(logOffset);
    b[logOffset + 100] ^= 0xff; // inside the first descriptor: the entry's checksum no longer matches
    writeFileSync(bad, b);
    const error = (await openDiskImage(bad).then(
      () => undefined,
      (e: unknown) => e as ColdfixError,
    ))!;
    expect(error).toMatchObject({ kind: 'corrupt', code: 'VHDX_LOG_NO_VALID_SEQUENCE' });
  });
});
