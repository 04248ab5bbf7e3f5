/**
 * Damaged FVE metadata: a damaged copy does not stop unlocking while another
 * is good; random mutations (fast-check) give typed errors, never a crash or hang.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSource, isColdfixError, type ByteSource, type SourceInfo } from '@coldfix/io';
import { parseBekFile, readBitLockerInfo, unlockBitLocker } from '../src/index.js';
import { bekFile, fixture, fixturesMissing, sha256 } from './fixtures.js';
import { describeWith } from '@coldfix/test-support';
import { readFveMetadata } from '../src/metadata.js';
import { eowStateAt } from '../src/layout/eow.js';

/** The base source with some bytes replaced (a copy-free model of a damaged image). */
class PatchedSource implements ByteSource {
  constructor(private readonly base: ByteSource, private readonly patches: Map<number, number>) {}
  get size() { return this.base.size; }
  get blockSize() { return this.base.blockSize; }
  async read(offset: number, length: number): Promise<Uint8Array> {
    const bytes = await this.base.read(offset, length);
    for (const [at, value] of this.patches) if (at >= offset && at < offset + length) bytes[at - offset] = value;
    return bytes;
  }
  async close() {}
  describe(): SourceInfo { return { kind: 'patched' }; }
}

const suite = describeWith(fixturesMissing);
const SUSPENDED_SHA32K = '1bb44bc68c1674c2ef60dce605af73ee7cbb352c4bb61b64bf3eb15d8ca2653e';
const BLOCKS = [0x21f0000, 0x2946000, 0x309b000];

suite('damaged FVE metadata', () => {
  let base: FileSource;
  beforeAll(async () => { base = await FileSource.open(await fixture('suspended')); });
  afterAll(async () => { await base?.close(); });

  it('unlocks from the second block when the first has a bad signature, and from the third when two are gone', async () => {
    const one = new PatchedSource(base, new Map([[BLOCKS[0], 0x00]]));
    const info = await readBitLockerInfo(one);
    expect(info.anomalies.join('\n')).toMatch(/0x21f0000 unusable/);
    expect(sha256(await (await unlockBitLocker(one, {})).read(0, 32768))).toBe(SUSPENDED_SHA32K);
    const two = new PatchedSource(base, new Map([[BLOCKS[0], 0x00], [BLOCKS[1] + 70, 0xff]]));
    expect(sha256(await (await unlockBitLocker(two, {})).read(0, 32768))).toBe(SUSPENDED_SHA32K);
  });

  it('prefers a CRC-valid copy over one whose CRC-32 fails, and reports it', async () => {
    // Flip a byte inside the description entry of block 1: parseable, but the CRC fails.
    const damaged = new PatchedSource(base, new Map([[BLOCKS[0] + 0x80, 0x41]]));
    const info = await readBitLockerInfo(damaged);
    expect(info.anomalies.some((a) => a.includes('0x21f0000') && a.includes('CRC'))).toBe(true);
    expect(info.description).toBe('DESKTOP-QNI1MMF TestVolume 10/24/2021');
    expect(sha256(await (await unlockBitLocker(damaged, {})).read(0, 32768))).toBe(SUSPENDED_SHA32K);
  });

  it('all three copies gone: typed CorruptError naming every offset', async () => {
    const gone = new PatchedSource(base, new Map(BLOCKS.map((b) => [b, 0])));
    const error = await readBitLockerInfo(gone).catch((e) => e);
    expect(error.code).toBe('BITLOCKER_NO_METADATA');
    expect(Object.keys(error.details.failures)).toHaveLength(3);
  });

  it('random byte mutations of the header and metadata give success or a typed error (fast-check)', async () => {
    const interesting = fc.oneof(
      fc.integer({ min: 0, max: 511 }), // volume header
      fc.integer({ min: BLOCKS[0], max: BLOCKS[0] + 0x2a0 }), // block 1 header, dataset, entries, validation
      fc.integer({ min: BLOCKS[1], max: BLOCKS[1] + 0x2a0 }),
      fc.integer({ min: BLOCKS[2], max: BLOCKS[2] + 0x2a0 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(interesting, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 24 }), async (muts) => {
        const source = new PatchedSource(base, new Map(muts));
        try {
          const info = await readBitLockerInfo(source);
          expect(typeof info.volumeGuid).toBe('string');
          const volume = await unlockBitLocker(source, {});
          await volume.read(0, 4096);
          await volume.read(volume.size - 4096, 4096);
        } catch (error) {
          if (!isColdfixError(error)) throw error;
        }
      }),
      { numRuns: 300 },
    );
  }, 600_000);

  it('random mutations of the encrypt-on-write structures give a map or a typed error (fast-check)', async () => {
    const eow = await FileSource.open(await fixture('eow_partial'));
    try {
      const places = fc.oneof(
        fc.integer({ min: 0x1553a000, max: 0x1553a000 + 0x68 }), // EOW information (first copy)
        fc.integer({ min: 0x1553c000, max: 0x1553c000 + 0x240 }), // first bitmap header and record headers
        fc.integer({ min: 0x15640000, max: 0x15640000 + 0x240 }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(places, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 1_072_627_711 }), async (muts, probe) => {
          try {
            const metadata = await readFveMetadata(new PatchedSource(eow, new Map(muts)));
            if (metadata.eow) {
              const state = eowStateAt(metadata.eow, probe);
              expect(state.end).toBeGreaterThan(probe);
            } else {
              expect(metadata.anomalies.some((a) => a.includes('encrypt-on-write'))).toBe(true);
            }
          } catch (error) {
            if (!isColdfixError(error)) throw error;
          }
        }),
        { numRuns: 200 },
      );
    } finally {
      await eow.close();
    }
  }, 600_000);

  it('random mutations of a .BEK file give a key or a typed error', async () => {
    const bek = await bekFile('startup_key.bek');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: bek.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.integer({ min: 0, max: bek.length }), (muts, cut) => {
        const bytes = new Uint8Array(bek.subarray(0, cut));
        for (const [at, v] of muts) if (at < bytes.length) bytes[at] = v;
        try {
          const key = parseBekFile(bytes, 'fuzz.bek');
          expect(key.key.length).toBe(32);
        } catch (error) {
          if (!isColdfixError(error)) throw error;
          expect((error as Error).message).not.toMatch(/[0-9a-f]{16}/i);
        }
      }),
      { numRuns: 500 },
    );
  });
});
