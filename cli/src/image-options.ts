/** Options every image-reading command shares: container chain, sector size, BitLocker keys. */
import type { Command } from 'commander';
import type { OpenImageOptions } from '@coldfix/volumes';
import { UsageError } from './errors.js';
import { addKeyOptions, collectKeys, type KeyOptions } from './key-options.js';

export interface ImageCliOptions extends KeyOptions {
  parentDir?: string[];
  allowParentMismatch?: boolean;
  sectorSize?: string;
  snapshot?: string;
  journalDir?: string;
  vmdkIgnoreParentCid?: boolean;
  vmdkAllowOutsidePaths?: boolean;
}

export function addImageOptions(command: Command): Command {
  addKeyOptions(command);
  return command
    .option('--parent-dir <dir...>', 'folders searched for differencing-disk parents')
    .option('--allow-parent-mismatch', 'read a VHDX chain whose parent DataWriteGuid differs from the child\'s parent_linkage (reported as an anomaly)')
    .option('--sector-size <bytes>', 'partition-table sector size: 512 or 4096 (default: detected)')
    .option('--snapshot <id-or-name>', 'qcow2: read this internal snapshot instead of the active state (read-only)')
    .option('--vmdk-ignore-parent-cid', "VMDK: open a delta whose parent's CID differs from its parentCID (reported as an anomaly)")
    .option('--vmdk-allow-outside-paths', "VMDK: let extent and parent file names point outside the descriptor's folder");
}

/** Options of commands that write an image (always through the undo journal). */
export function addWriteOptions(command: Command): Command {
  return command.option('--journal-dir <dir>', 'where the undo journal goes (block devices, read-only folders); default: beside the image');
}

export async function imageOptionsFrom(options: ImageCliOptions): Promise<OpenImageOptions> {
  const sectorSize = options.sectorSize === undefined ? undefined : Number(options.sectorSize);
  if (sectorSize !== undefined && sectorSize !== 512 && sectorSize !== 4096) {
    throw new UsageError(`--sector-size must be 512 or 4096, not ${options.sectorSize}`);
  }
  return {
    keys: await collectKeys(options),
    parentDirs: options.parentDir,
    ...(options.allowParentMismatch ? { allowParentMismatch: true } : {}),
    journalDir: options.journalDir,
    sectorSize: sectorSize as 512 | 4096 | undefined,
    ...(options.snapshot !== undefined ? { snapshot: options.snapshot } : {}),
    ...(options.vmdkIgnoreParentCid || options.vmdkAllowOutsidePaths
      ? { vmdk: { ignoreParentCid: options.vmdkIgnoreParentCid ?? false, allowOutsidePaths: options.vmdkAllowOutsidePaths ?? false } }
      : {}),
  };
}
