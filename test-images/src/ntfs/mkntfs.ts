/**
 * Formatting a scratch file as NTFS with mkntfs (ntfs-3g 2022.10.3), following PEERS.md:
 * `mkntfs -F -Q -s 512 -c 4096 -p START -H 255 -S 63 -L LABEL file SECTORS`, with `-T` for a
 * reproducible layout (fixed volume serial and GUIDs, times at the epoch).
 */
import { open } from 'node:fs/promises';
import { run } from '../util/run.js';

/** Options for {@link makeNtfs}. */
export interface MkntfsOptions {
  /** Volume size in bytes (a multiple of the sector size). */
  size: number;
  label: string;
  clusterSize?: number;
  sectorSize?: number;
  /** LBA of the partition that will hold the volume (the BPB hidden-sectors field). */
  startSector?: number;
  /** mkntfs -T: byte-reproducible metadata. */
  reproducible?: boolean;
  /** MFT record size in bytes (mkntfs default 1024). */
  mftRecordSize?: number;
}

/**
 * Creates `path` (sparse, `size` bytes) and formats it. Every byte written comes from mkntfs.
 * @throws ToolError when mkntfs fails.
 */
export async function makeNtfs(path: string, o: MkntfsOptions): Promise<void> {
  const sector = o.sectorSize ?? 512;
  if (o.size % sector !== 0) throw new Error(`NTFS size ${o.size} is not a multiple of ${sector}`);
  const fh = await open(path, 'w');
  try {
    await fh.truncate(o.size);
  } finally {
    await fh.close();
  }
  const args = ['-F', '-Q', '-s', String(sector), '-c', String(o.clusterSize ?? 4096)];
  args.push('-p', String(o.startSector ?? 0), '-H', '255', '-S', '63', '-L', o.label);
  if (o.reproducible ?? true) args.push('-T');
  if (o.mftRecordSize) args.push('-z', String(o.mftRecordSize));
  args.push(path, String(o.size / sector));
  await run('mkntfs', args);
}

/**
 * Sets the BPB "hidden sectors" field (offset 0x1C, 32-bit LE) in the boot sector and its backup (the
 * volume's last sector), as `mkntfs -p` would have, so a volume built alone can sit in a partition.
 */
export async function setHiddenSectors(volumePath: string, volumeSize: number, startSector: number): Promise<void> {
  const fh = await open(volumePath, 'r+');
  try {
    const v = Buffer.alloc(4);
    v.writeUInt32LE(startSector >>> 0, 0);
    await fh.write(v, 0, 4, 0x1c);
    const backup = Buffer.alloc(512);
    await fh.read(backup, 0, 512, volumeSize - 512);
    if (backup.toString('latin1', 3, 11) === 'NTFS    ') await fh.write(v, 0, 4, volumeSize - 512 + 0x1c);
  } finally {
    await fh.close();
  }
}
