/**
 * Corrupted volumes: random byte mutations in $MFT records, INDX blocks and
 * the $LogFile restart area must make checkVolume, checkWriteGates and
 * deleteFile (dry run) either answer or throw a typed ColdfixError: never a
 * TypeError/RangeError, a hang or an unbounded allocation.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ColdfixError, MemorySource } from '@coldfix/io';
import { checkVolume } from '../src/check/check-volume.js';
import { checkWriteGates } from '../src/gates/write-gates.js';
import { deleteFile } from '../src/write/delete-file.js';
import { RecordStore } from '../src/record/record-store.js';
import { attributeData } from '../src/record/attribute-data.js';
import { AttrType } from '../src/record/record-bytes.js';
import { WriteTxn } from '../src/write/txn.js';
import { resolvePath } from '../src/write/resolve-path.js';
import { buildVolume } from './write-fixtures.js';

const TREE = String.raw`mkdir leaf; for i in $(seq -w 1 150); do echo $i > "leaf/file $i.txt"; done
for i in $(seq 1 6); do head -c 20000 /dev/urandom > "data$i.bin"; done`;

describe('mutated volumes give typed errors', () => {
  it('never crashes with an untyped error', async () => {
    const image = readFileSync(buildVolume('kill', { sizeMiB: 16, tree: TREE }));
    const vol = await RecordStore.open(new MemorySource(image));
    const regions: [number, number][] = [];
    const mft = vol.recordPieces(0)[0].device;
    regions.push([mft, 200 * vol.geometry.recordSize]);
    const txn = new WriteTxn(vol);
    const leaf = (await resolvePath(txn, '/leaf', await vol.upcase())).record;
    for (const r of [5, leaf]) {
      const a = attributeData(vol, await vol.extents(r), AttrType.indexAllocation, '$I30');
      for (const p of vol.streamPieces(a.runs, 0, Math.min(a.size, 8 * 4096))) regions.push([p.device, p.length]);
    }
    const log = attributeData(vol, await vol.extents(2), AttrType.data);
    regions.push([vol.streamPieces(log.runs, 0, 8192)[0].device, 8192]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ region: fc.nat(regions.length - 1), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 24 }),
        async (mutations) => {
          const bytes = Uint8Array.from(image);
          for (const m of mutations) {
            const [start, length] = regions[m.region];
            bytes[start + (m.at % length)] = m.value;
          }
          const src = new MemorySource(bytes);
          for (const run of [() => checkVolume(src), () => checkWriteGates(src), () => deleteFile(src, '/leaf/file 077.txt', { dryRun: true }), () => deleteFile(src, '/data3.bin', { dryRun: true })]) {
            try {
              await run();
            } catch (e) {
              if (!(e instanceof ColdfixError)) throw e;
            }
          }
        },
      ),
      { numRuns: Number(process.env.MUT_RUNS ?? 60) },
    );
    expect(regions.length).toBeGreaterThan(2);
  }, 600_000);
});
