/** `coldfix info IMAGE [--json]`: container, chain, partitions, and what each partition holds. */
import type { Command } from 'commander';
import { openImage, type OpenedImage, type VolumeEntry } from '@coldfix/volumes';
import type { SetExit } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { addImageOptions, imageOptionsFrom, type ImageCliOptions } from '../image-options.js';
import { formatBytes, printJson, printTable } from '../output.js';

export function registerInfoCommand(program: Command, setExit: SetExit): void {
  const command = program
    .command('info')
    .description('describe an image: container format and chain, partition table, each volume (BitLocker protectors, file system)')
    .argument('<image>', 'disk image file (raw, VHD, VHDX/AVHDX, qcow2, VMDK), http(s) URL, or block device')
    .option('--json', 'print one JSON document');
  addImageOptions(command);
  command.action(async (image: string, options: ImageCliOptions & { json?: boolean }) => {
    const opened = await openImage(image, await imageOptionsFrom(options));
    try {
      const document = infoDocument(opened);
      if (options.json) printJson(document);
      else printInfo(document);
      setExit(ExitCode.ok);
    } finally {
      await opened.close();
    }
  });
}

export function infoDocument(opened: OpenedImage) {
  const summary = opened.summary;
  return {
    image: summary.path,
    format: summary.format,
    variant: summary.variant,
    virtualSize: summary.virtualSize,
    chain: summary.chain.map((entry) => ({
      path: entry.path,
      format: entry.format,
      variant: entry.variant,
      virtualSize: entry.virtualSize,
      // VHDX members: identities, linkage, log state, block size (absent for other formats).
      ...(entry.dataWriteGuid
        ? {
            dataWriteGuid: entry.dataWriteGuid,
            virtualDiskId: entry.virtualDiskId,
            parentLinkage: entry.parentLinkage,
            blockSize: entry.blockSize,
            logicalSectorSize: entry.logicalSectorSize,
            logState: entry.logState,
          }
        : {}),
      ...(entry.flags ? { flags: entry.flags } : {}),
      ...(entry.snapshots ? { snapshots: entry.snapshots } : {}),
      ...(entry.snapshot !== undefined ? { snapshot: entry.snapshot } : {}),
      ...(entry.backingFile !== undefined ? { backingFile: entry.backingFile, backingFormat: entry.backingFormat ?? null } : {}),
      ...(entry.dataFile !== undefined ? { dataFile: entry.dataFile } : {}),
      ...(entry.uniqueId !== undefined ? { uniqueId: entry.uniqueId } : {}),
      ...(entry.cid !== undefined ? { cid: entry.cid } : {}),
      ...(entry.parentCid !== undefined ? { parentCid: entry.parentCid } : {}),
      ...(entry.uncleanShutdown !== undefined ? { uncleanShutdown: entry.uncleanShutdown } : {}),
    })),
    partitionScheme: summary.partitionScheme,
    sectorSize: summary.sectorSize,
    partitions: opened.volumes.filter((v) => v.partition !== 0).map(partitionDocument),
    ...(summary.partitionScheme === 'none' && opened.volumes[0] ? { volume: partitionDocument(opened.volumes[0]) } : {}),
    anomalies: summary.anomalies,
  };
}

function partitionDocument(volume: VolumeEntry) {
  const bitlocker = volume.bitlocker;
  return {
    index: volume.partition,
    offset: volume.offset,
    size: volume.size,
    type: volume.type,
    typeName: volume.typeName,
    name: volume.name,
    guid: volume.guid,
    content: volume.content,
    ...(bitlocker
      ? {
          bitlocker: {
            volumeGuid: bitlocker.info.volumeGuid,
            method: bitlocker.info.method,
            state: bitlocker.info.state,
            version: bitlocker.info.version,
            description: bitlocker.info.description,
            protectors: bitlocker.info.protectors.map((p) => ({ guid: p.guid, type: p.type })),
            unlocked: bitlocker.unlocked,
            protectorUsed: bitlocker.protectorUsed,
          },
        }
      : {}),
  };
}

type InfoDocument = ReturnType<typeof infoDocument>;

/** VMDK content IDs and the unclean-shutdown flag, for the chain lines. */
function chainIds(entry: InfoDocument['chain'][number]): string {
  let out = '';
  if (entry.cid !== undefined) out += `, CID ${entry.cid}`;
  if (entry.parentCid !== undefined && entry.parentCid !== 'ffffffff') out += `, parent CID ${entry.parentCid}`;
  if (entry.uncleanShutdown) out += ', UNCLEAN SHUTDOWN';
  return out;
}

function printInfo(doc: InfoDocument): void {
  const lines = [
    `image:      ${doc.image}`,
    `format:     ${doc.format} (${doc.variant}), virtual size ${formatBytes(doc.virtualSize)} (${doc.virtualSize} bytes)`,
  ];
  if (doc.chain.length > 1 || doc.chain.some((e) => e.dataWriteGuid || e.flags || e.snapshots?.length || e.cid !== undefined)) {
    lines.push('chain:');
    for (const [depth, entry] of doc.chain.entries()) {
      const pad = `  ${'  '.repeat(depth)}`;
      const vhdx = entry.dataWriteGuid
        ? `, block ${formatBytes(entry.blockSize ?? 0)}, ${entry.logicalSectorSize}-byte sectors, log ${entry.logState}, DataWriteGuid ${entry.dataWriteGuid}${entry.parentLinkage ? `, parent_linkage ${entry.parentLinkage}` : ''}`
        : '';
      lines.push(`${pad}${depth ? '└ ' : ''}${entry.path} (${entry.format} ${entry.variant}${vhdx}${chainIds(entry)})${entry.flags ? ` [${entry.flags.join(', ')}]` : ''}`);
      if (entry.dataFile !== undefined) lines.push(`${pad}    data file: ${JSON.stringify(entry.dataFile)}`);
      if (entry.snapshot !== undefined) lines.push(`${pad}    reading snapshot ${entry.snapshot}`);
      for (const s of entry.snapshots ?? []) lines.push(`${pad}    snapshot ${s.id} ${JSON.stringify(s.name)} ${s.date} ${formatBytes(s.virtualSize)}`);
    }
  }
  lines.push(`partitions: ${doc.partitionScheme}${doc.partitionScheme === 'none' ? '' : `, ${doc.sectorSize}-byte sectors`}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  const rows = doc.partitions.length ? doc.partitions : doc.volume ? [doc.volume] : [];
  if (rows.length) {
    printTable(
      ['#', 'offset', 'size', 'type', 'name', 'content'],
      rows.map((p) => [String(p.index), String(p.offset), formatBytes(p.size), p.typeName || p.type, p.name, p.content + (p.bitlocker ? (p.bitlocker.unlocked ? ' (BitLocker, unlocked)' : ' (BitLocker, locked)') : '')]),
    );
  }
  for (const p of rows) {
    if (!p.bitlocker) continue;
    const b = p.bitlocker;
    process.stdout.write(`\nBitLocker on partition ${p.index}: volume ${b.volumeGuid}, ${b.method}, ${b.state}, version ${b.version}\n`);
    for (const protector of b.protectors) {
      const used = b.protectorUsed?.guid === protector.guid ? '  <- used' : '';
      process.stdout.write(`  protector ${protector.guid}  ${protector.type}${used}\n`);
    }
  }
  for (const anomaly of doc.anomalies) process.stdout.write(`anomaly: ${anomaly}\n`);
}
