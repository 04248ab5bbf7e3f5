/**
 * Partition facts taken from `sfdisk --json` (util-linux), the oracle the catalog records.
 */
import type { PartitionFact, PartitionTableFacts } from '../catalog.js';
import { basename, dirname } from 'node:path';
import { run } from '../util/run.js';

interface SfdiskJson {
  partitiontable: {
    label: 'dos' | 'gpt';
    id: string;
    device: string;
    unit: string;
    sectorsize?: number;
    partitions?: { node: string; start: number; size: number; type: string; uuid?: string; name?: string; bootable?: boolean }[];
  };
}

/**
 * Reads the partition table of `image` with `sfdisk --json` and adds byte offsets. `content` maps a
 * partition number to what the generator put there.
 * @throws ToolError when sfdisk fails.
 */
export async function readPartitionFacts(image: string, content: Record<number, string>): Promise<PartitionTableFacts> {
  // Run beside the image so device names in the output do not carry the scratch build path.
  const { stdout } = await run('sfdisk', ['--json', basename(image)], { cwd: dirname(image) });
  const json = JSON.parse(stdout) as SfdiskJson;
  const t = json.partitiontable;
  const sector = t.sectorsize ?? 512;
  const partitions: PartitionFact[] = (t.partitions ?? []).map((p) => {
    const number = Number(/(\d+)$/.exec(p.node)?.[1] ?? '0');
    const f: PartitionFact = {
      number,
      node: p.node,
      startLba: p.start,
      sectorCount: p.size,
      offset: p.start * sector,
      size: p.size * sector,
      type: p.type,
      content: content[number] ?? 'empty',
    };
    if (p.uuid) f.uuid = p.uuid;
    if (p.name !== undefined) f.name = p.name;
    if (p.bootable) f.bootable = true;
    return f;
  });
  return { label: t.label, id: t.id, sectorSize: sector, partitions, sfdisk: json };
}
