/**
 * Corrupted volumes (fast-check mutations of a real Windows volume): MFT
 * records, INDX blocks of a 2048-entry directory and runlists get random
 * bytes; opening, walking and listing (with deleted entries) and reading every stream
 * must end in typed errors or anomalies, never a crash, a hang or unbounded
 * memory.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { ColdfixError, MemorySource } from '@coldfix/io';
import { NtfsVolume, findAttribute, toWalkEntry } from '../src/index.js';
import { fixture, fixturesMissing } from './helpers/fixtures.js';
import { describeWith, itWith } from '@coldfix/test-support';

interface Region {
  name: string;
  start: number;
  length: number;
}

async function exercise(bytes: Uint8Array): Promise<void> {
  let volume: NtfsVolume;
  try {
    volume = await NtfsVolume.open(new MemorySource(bytes));
  } catch (error) {
    if (error instanceof ColdfixError) return;
    throw error;
  }
  let entries = 0;
  try {
    for await (const entry of volume.walk({ deleted: true })) {
      if (++entries > 100_000) throw new Error('walk does not end');
      for (const stream of ['', ...entry.streams.filter((s) => s.kind === 'data').map((s) => s.name)]) {
        if (!entry.hasDefaultData && stream === '') continue;
        try {
          const source = await volume.openStream(entry.recordNumber, stream);
          // Bounded read: a corrupt size must not make us allocate it.
          await source.read(0, Math.min(source.size, 1 << 20));
        } catch (error) {
          if (!(error instanceof ColdfixError)) throw error;
        }
      }
    }
    // The fast listing (sequential MFT pass, raw record decoder, raw $I30 scan) over the same damage.
    let listed = 0;
    for await (const batch of volume.list({ deleted: true, names: true })) {
      listed += batch.length;
      if (listed > 100_000) throw new Error('list does not end');
      for (let i = 0; i < batch.length; i++) toWalkEntry(batch, i);
    }
    await volume.resolve('/Large Directory/Directory 1234').catch((error) => {
      if (!(error instanceof ColdfixError)) throw error;
    });
  } catch (error) {
    if (!(error instanceof ColdfixError)) throw error;
  }
}

describeWith(fixturesMissing)('mutated real volume (dissect ntfs.bin)', () => {
  it('gives typed errors or anomalies for corrupted records, index blocks and runlists', async () => {
    const original = new Uint8Array(readFileSync(fixture('fox-it-dissect.ntfs/ntfs.bin.gz')));
    const clean = await NtfsVolume.open(new MemorySource(original.slice()));
    const regions: Region[] = [];
    for (const n of [0, 3, 5, 10, 41, 44, 45, 46, 60]) {
      const [extent] = clean.mft.recordExtents(n);
      regions.push({ name: `record ${n}`, start: extent.offset, length: extent.length });
      // Mapping pairs of each non-resident attribute in the record.
      const record = await clean.readRecord(n);
      for (const a of record.attributes) {
        if (a.nonResident && a.mappingPairsOffset !== undefined && a.recordNumber === n) {
          regions.push({ name: `runlist ${n}/${a.typeName}`, start: extent.offset + a.offset + a.mappingPairsOffset, length: Math.max(1, a.length - a.mappingPairsOffset) });
        }
      }
    }
    const large = await clean.readRecord(45);
    const alloc = findAttribute(large, 0xa0, '$I30')!;
    for (const run of alloc.runs) if (run.lcn !== null) regions.push({ name: 'INDX blocks', start: run.lcn * clean.clusterSize, length: run.length * clean.clusterSize });
    const rootAlloc = findAttribute(await clean.readRecord(5), 0xa0, '$I30');
    for (const run of rootAlloc?.runs ?? []) if (run.lcn !== null) regions.push({ name: 'root INDX', start: run.lcn * clean.clusterSize, length: run.length * clean.clusterSize });

    const mutation = fc.record({
      region: fc.integer({ min: 0, max: regions.length - 1 }),
      edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ region, edits }) => {
        const bytes = original.slice();
        const r = regions[region];
        for (const e of edits) bytes[r.start + (e.at % r.length)] = e.value;
        await exercise(bytes);
      }),
      { numRuns: 30, seed: 20261124 },
    );
    expect(regions.length).toBeGreaterThan(10);
  }, 600_000);
});
