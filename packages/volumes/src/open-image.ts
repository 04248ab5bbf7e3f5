/**
 * Opens an image end to end: container → partitions → BitLocker → file systems.
 * The only package that knows the order of layers.
 */
import {
  CachedSource,
  FileSource,
  JournaledFile,
  NotFoundError,
  RangeSource,
  UnlockError,
  isColdfixError,
  isRemoteUrl,
  maskUrl,
  openRemoteImageSource,
  type ByteSource,
  type FileOpener,
  type ResizableByteSource,
  type RemoteImageSource,
} from '@coldfix/io';
import { openDiskImage, remoteWriteRefused, type DiskImage } from '@coldfix/disk-image';
import { probeContent, readPartitionTable, type PartitionTable } from '@coldfix/partitions';
import { isBitLocker, readBitLockerInfo, unlockBitLocker } from '@coldfix/bitlocker';
import { NtfsVolume } from '@coldfix/ntfs';
import type { ImageSummary, OpenImageOptions, VolumeEntry } from './types.js';

/** An opened image: its summary, its volumes, and (when writable) the journal lifecycle. */
export class OpenedImage {
  /** One open per partition, shared by callers running side by side (the promise is cached). */
  private readonly ntfsCache = new Map<number, Promise<NtfsVolume>>();
  private constructor(
    readonly path: string,
    readonly disk: DiskImage,
    readonly cached: CachedSource,
    readonly table: PartitionTable,
    readonly volumes: VolumeEntry[],
    private readonly files: ByteSource[],
    readonly journal: JournaledFile | null,
  ) {}

  static async open(path: string, options: OpenImageOptions = {}): Promise<OpenedImage> {
    const files: ByteSource[] = [];
    let journal: JournaledFile | null = null;
    const openFile = (async (filePath: string, writable: boolean) => {
      if (isRemoteUrl(filePath)) {
        if (writable) throw remoteWriteRefused(filePath);
        const remote = await openRemoteImageSource(filePath, options.remote);
        files.push(remote);
        return remote;
      }
      if (writable) {
        journal = await JournaledFile.open(filePath, { journalDir: options.journalDir });
        return journal as ResizableByteSource;
      }
      const file = await FileSource.open(filePath);
      files.push(file);
      return file;
    }) as FileOpener;
    let disk: DiskImage | undefined;
    try {
      disk = await openDiskImage(path, { writable: options.writable ?? false, openFile, parentDirs: options.parentDirs, allowParentMismatch: options.allowParentMismatch, vmdk: options.vmdk, ...(options.snapshot !== undefined ? { snapshot: options.snapshot } : {}) });
      // One bounded cache over the virtual disk serves every small metadata read above it. 32 KiB
      // blocks: fresh memory costs ~5 us per KiB to fault in on the VMs here (a 64 KiB buffer ~0.33
      // ms), and a repair's reads are scattered: 64 KiB blocks read 4.0 MiB for it, 32 KiB 2.4 MiB.
      const cached = new CachedSource(disk, { cacheBlockSize: 32 * 1024, maxBytes: 32 << 20 });
      const table = await readPartitionTable(cached, { sectorSize: options.sectorSize });
      const volumes = await describeVolumes(cached, table, options);
      return new OpenedImage(isRemoteUrl(path) ? maskUrl(path) : path, disk, cached, table, volumes, files, journal);
    } catch (error) {
      await disk?.close().catch(() => undefined);
      for (const file of files) await file.close().catch(() => undefined);
      await (journal as JournaledFile | null)?.close().catch(() => undefined);
      throw error;
    }
  }

  get summary(): ImageSummary {
    return {
      path: this.path,
      format: this.disk.format,
      variant: this.disk.variant,
      virtualSize: this.disk.size,
      chain: this.disk.chain,
      partitionScheme: this.table.scheme,
      sectorSize: this.table.sectorSize,
      anomalies: [...this.disk.anomalies, ...this.table.anomalies],
    };
  }

  /** The NTFS volumes that can be read now (plain, or BitLocker unlocked). */
  ntfsCandidates(): VolumeEntry[] {
    return this.volumes.filter((volume) => volume.content === 'ntfs' && volume.device);
  }

  /**
   * The NTFS volume on `partition`, or the only NTFS volume when none is given.
   * Throws NotFoundError listing the candidates, or UnlockError naming the BitLocker
   * volume and its protectors when the chosen volume is still locked.
   */
  async ntfs(partition?: number): Promise<NtfsVolume> {
    const entry = this.pickVolume(partition);
    let opening = this.ntfsCache.get(entry.partition);
    if (!opening) {
      opening = NtfsVolume.open(entry.device!);
      this.ntfsCache.set(entry.partition, opening);
      // A failed open is not kept: the next call tries again (and reports its own error).
      opening.catch(() => this.ntfsCache.delete(entry.partition));
    }
    return opening;
  }

  private pickVolume(partition?: number): VolumeEntry {
    const locked = this.volumes.filter((volume) => volume.bitlocker && !volume.bitlocker.unlocked);
    if (partition !== undefined) {
      const entry = this.volumes.find((volume) => volume.partition === partition);
      if (!entry) {
        throw new NotFoundError(`${this.path}: no partition ${partition} (partitions: ${this.volumes.map((v) => v.partition).join(', ') || 'none'})`, {
          code: 'VOLUME_PARTITION_NOT_FOUND',
          layer: 'volumes',
        });
      }
      if (entry.bitlocker && !entry.bitlocker.unlocked) throw lockedError(this.path, entry);
      if (entry.content !== 'ntfs' || !entry.device) {
        throw new NotFoundError(`${this.path}: partition ${partition} holds ${entry.content}, not NTFS`, {
          code: 'VOLUME_NOT_NTFS',
          layer: 'volumes',
          details: { partition, content: entry.content },
        });
      }
      return entry;
    }
    const candidates = this.ntfsCandidates();
    if (candidates.length === 1) return candidates[0];
    if (candidates.length === 0 && locked.length === 1) throw lockedError(this.path, locked[0]);
    const listing = this.volumes.map((v) => `${v.partition}:${v.content}${v.bitlocker && !v.bitlocker.unlocked ? '(locked)' : ''}`).join(', ');
    throw new NotFoundError(
      candidates.length === 0
        ? `${this.path}: no readable NTFS volume (volumes: ${listing || 'none'})`
        : `${this.path}: ${candidates.length} NTFS volumes; choose one with --partition (volumes: ${listing})`,
      { code: candidates.length === 0 ? 'VOLUME_NO_NTFS' : 'VOLUME_AMBIGUOUS', layer: 'volumes', details: { volumes: listing } },
    );
  }

  /** Bytes read from and written to the image files (for reports). */
  ioStats(): { bytesRead: number; bytesWritten: number } {
    let bytesRead = 0;
    let bytesWritten = 0;
    for (const file of this.files) bytesRead += 'remote' in file ? (file as RemoteImageSource).remote.stats.bytesReceived : (file as FileSource).stats.bytesRead;
    if (this.journal) {
      bytesRead += this.journal.stats.bytesRead;
      bytesWritten += this.journal.stats.bytesWritten;
    }
    return { bytesRead, bytesWritten };
  }

  async flush(): Promise<void> {
    await this.cached.flush();
  }

  async close(): Promise<void> {
    await this.disk.close().catch(() => undefined);
    for (const file of this.files) await file.close().catch(() => undefined);
    await this.journal?.close().catch(() => undefined);
  }
}

/** Opens `path` end to end; see OpenedImage. */
export function openImage(path: string, options: OpenImageOptions = {}): Promise<OpenedImage> {
  return OpenedImage.open(path, options);
}

async function describeVolumes(disk: ByteSource, table: PartitionTable, options: OpenImageOptions): Promise<VolumeEntry[]> {
  const entries: VolumeEntry[] = [];
  const regions =
    table.scheme === 'none'
      ? [{ index: 0, offset: 0, size: disk.size, type: '', typeName: 'whole disk', name: '', guid: null }]
      : table.partitions;
  for (const region of regions) {
    // Truncated forensic images list partitions past the end, and an MBR extended
    // container holds EBRs, not a volume: report them, read nothing.
    if (region.size <= 0 || region.offset + region.size > disk.size || ('extended' in region && region.extended)) {
      entries.push({ partition: region.index, offset: region.offset, size: region.size, type: region.type, typeName: region.typeName, name: region.name, guid: region.guid, content: 'unknown', rawContent: 'unknown', bitlocker: null });
      continue;
    }
    const range = new RangeSource(disk, region.offset, region.size, `partition ${region.index}`);
    const rawContent = await probeContent(range);
    const entry: VolumeEntry = {
      partition: region.index,
      offset: region.offset,
      size: region.size,
      type: region.type,
      typeName: region.typeName,
      name: region.name,
      guid: region.guid,
      content: rawContent,
      rawContent,
      bitlocker: null,
      device: range,
    };
    if (rawContent === 'bitlocker' || isBitLocker(await range.read(0, 512))) await unlockInto(entry, range, options);
    entries.push(entry);
  }
  return entries;
}

async function unlockInto(entry: VolumeEntry, range: RangeSource, options: OpenImageOptions): Promise<void> {
  const info = await readBitLockerInfo(range);
  entry.bitlocker = { info, unlocked: false, protectorUsed: null };
  entry.device = undefined;
  try {
    const plaintext = await unlockBitLocker(range, options.keys ?? {});
    entry.bitlocker = { info, unlocked: true, protectorUsed: plaintext.protectorUsed };
    entry.device = plaintext;
    entry.content = await probeContent(plaintext);
  } catch (error) {
    if (!isColdfixError(error) || error.kind !== 'unlock-failed') throw error;
    const tried = Array.isArray(error.details.tried) ? (error.details.tried as { guid: string; type: string }[]) : undefined;
    entry.bitlocker.error = { code: error.code, message: error.message, ...(tried ? { tried } : {}) };
  }
}

function lockedError(path: string, entry: VolumeEntry): UnlockError {
  const info = entry.bitlocker!.info;
  const protectors = info.protectors.map((p) => `${p.guid} (${p.type})`).join(', ');
  const tried = entry.bitlocker!.error?.code === 'BITLOCKER_WRONG_KEY' ? entry.bitlocker!.error.tried ?? [] : [];
  if (tried.length) {
    // A key was given and tried: say so, and on which protectors, apart from "no key given" (never the key itself).
    const triedText = tried.map((t) => `the ${t.type} protector ${t.guid}`).join(', ');
    return new UnlockError(
      `${path}: BitLocker volume ${info.volumeGuid} on partition ${entry.partition} is locked: the key given was tried and rejected by ${triedText} (wrong key). ` +
        `Its protectors: ${protectors}.`,
      { code: 'BITLOCKER_WRONG_KEY', layer: 'volumes', details: { partition: entry.partition, volumeGuid: info.volumeGuid, tried, protectors: info.protectors.map((p) => ({ guid: p.guid, type: p.type })) } },
    );
  }
  return new UnlockError(
    `${path}: BitLocker volume ${info.volumeGuid} on partition ${entry.partition} is locked: no key given fits. ` +
      `Its protectors: ${protectors}. Give --recovery-password, --bek, --password or --keys with the key for one of these key IDs.`,
    { code: 'BITLOCKER_LOCKED', layer: 'volumes', details: { partition: entry.partition, volumeGuid: info.volumeGuid, protectors: info.protectors.map((p) => ({ guid: p.guid, type: p.type })) } },
  );
}
