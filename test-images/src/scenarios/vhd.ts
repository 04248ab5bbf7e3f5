/**
 * VHD conversions of raw scenarios with `qemu-img convert -O vpc -o subformat=…,force_size=on`
 * (force_size keeps the exact virtual size instead of rounding to a CHS geometry).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildContext, BuildResult, Scenario } from '../scenario.js';
import { run } from '../util/run.js';

/** Converts `raw` to a VHD at `out`; returns qemu-img's virtual size and the file size. */
export async function convertToVhd(raw: string, out: string, subformat: 'fixed' | 'dynamic'): Promise<{ virtualSize: number; fileSize: number }> {
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', `subformat=${subformat},force_size=on`, raw, out]);
  const info = JSON.parse((await run('qemu-img', ['info', '--output=json', '-f', 'vpc', out])).stdout) as { 'virtual-size': number };
  return { virtualSize: info['virtual-size'], fileSize: (await stat(out)).size };
}

/** A scenario converting raw scenario `source` to a VHD. */
export function vhdScenario(name: string, source: string, subformat: 'fixed' | 'dynamic'): Scenario {
  return {
    name,
    description: `${subformat} VHD of ${source} (qemu-img convert -O vpc, force_size)`,
    version: 1,
    params: { source, subformat },
    deps: [source],
    async build(ctx: BuildContext): Promise<BuildResult> {
      const src = ctx.dep(source);
      const image = join(ctx.outDir, `${name}.vhd`);
      const { virtualSize, fileSize } = await convertToVhd(src.image, image, subformat);
      if (virtualSize !== src.virtualSize) throw new Error(`${name}: virtual size ${virtualSize} != ${src.virtualSize}`);
      const r: BuildResult = { image, format: 'vpc', vhdSubformat: subformat, virtualSize, fileSize, source, volumes: src.volumes };
      if (src.partitionTable) r.partitionTable = src.partitionTable;
      if (src.extra) r.extra = src.extra;
      return r;
    },
  };
}
