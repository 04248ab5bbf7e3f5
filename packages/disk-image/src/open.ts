/**
 * Opening images: detect by content, dispatch to the format's driver, resolve
 * parent chains with cycle and depth limits. Only the member asked for may be
 * opened writable; parents are always read-only.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CorruptError, FileSource, LimitExceededError, PreconditionError, UnsupportedError, WritableFileSource, isRemoteUrl, maskUrl, openRemoteImageSource, type ByteSource, type FileOpener } from '@coldfix/io';
import { isBlockDevice, RawImage } from './raw/raw-image.js';
import { imageDrivers, registerImageDriver, type ResolvedOpenOptions } from './registry.js';
import type { DiskImage, ImageFormat, ImageVariant, OpenDiskImageOptions, WritableDiskImage } from './types.js';
import { vhdDriver } from './vhd/open-vhd.js';
import { vhdxDriver } from './vhdx/open-vhdx.js';
import { qcow2Driver } from './qcow2/open-qcow2.js';
import { vmdkDriver } from './vmdk/open-vmdk.js';
import { detectUnsupportedContainer, unsupportedFormatError } from './unsupported.js';

registerImageDriver(vhdDriver);
registerImageDriver(vhdxDriver);
registerImageDriver(qcow2Driver);
registerImageDriver(vmdkDriver);

export const DEFAULT_MAX_CHAIN_DEPTH = 64;

const defaultOpener = (async (path: string, writable: boolean) => {
  if (isRemoteUrl(path)) {
    if (writable) throw remoteWriteRefused(path);
    return openRemoteImageSource(path);
  }
  return writable ? WritableFileSource.openWritable(path) : FileSource.open(path);
}) as unknown as FileOpener;

/** A remote image is read-only here: a repair writes a local copy (`--output`) or overlay instead. */
export function remoteWriteRefused(url: string): UnsupportedError {
  return new UnsupportedError(`${maskUrl(url)}: remote images are opened read-only; write a repaired local copy with --output`, {
    code: 'REMOTE_READ_ONLY',
    layer: 'disk-image',
    details: { url: maskUrl(url) },
  });
}

/**
 * Detects the container format of `file` by content (never by extension).
 * Block devices are raw. Throws CorruptError when a VHD footer is present but unusable.
 */
export async function detectImageFormat(file: ByteSource): Promise<{ format: ImageFormat; variant: ImageVariant }> {
  if (isBlockDevice(file)) return { format: 'raw', variant: 'block-device' };
  for (const driver of imageDrivers()) {
    const variant = await driver.probe(file);
    if (variant) return { format: driver.format, variant };
  }
  return { format: 'raw', variant: 'raw' };
}

/**
 * Opens the image at `path` as its virtual disk, with its parent chain.
 * Throws NotFoundError (file or parent missing, naming the paths tried),
 * CorruptError, ParentMismatchError, LimitExceededError (chain too deep,
 * sizes above our caps), IoError.
 */
export function openDiskImage(path: string, options: OpenDiskImageOptions & { writable: true }): Promise<WritableDiskImage>;
export function openDiskImage(path: string, options?: OpenDiskImageOptions): Promise<DiskImage>;
export async function openDiskImage(path: string, options: OpenDiskImageOptions = {}): Promise<DiskImage> {
  const resolved: ResolvedOpenOptions = {
    writable: options.writable ?? false,
    openFile: options.openFile ?? defaultOpener,
    parentDirs: (options.parentDirs ?? []).map((d) => resolve(d)),
    maxChainDepth: options.maxChainDepth ?? DEFAULT_MAX_CHAIN_DEPTH,
    allowParentMismatch: options.allowParentMismatch ?? false,
    snapshot: options.snapshot,
    vmdk: options.vmdk ?? {},
  };
  if (resolved.snapshot !== undefined && resolved.writable) {
    throw new PreconditionError(`${path}: a snapshot is read-only; open it without writable`, { code: 'SNAPSHOT_READ_ONLY', layer: 'disk-image', details: { path, snapshot: resolved.snapshot } });
  }
  return openMember(isRemoteUrl(path) ? path : resolve(path), resolved, 1, []);
}

async function openMember(path: string, options: ResolvedOpenOptions, depth: number, seen: string[]): Promise<DiskImage> {
  if (depth > options.maxChainDepth) {
    throw new LimitExceededError(`image chain deeper than ${options.maxChainDepth} at ${path}`, {
      code: 'CHAIN_TOO_DEEP',
      layer: 'disk-image',
      details: { path, maxChainDepth: options.maxChainDepth },
    });
  }
  const identity = await fileIdentity(path);
  if (seen.includes(identity)) {
    throw new CorruptError(`image chain loops: ${path} is its own ancestor`, {
      code: 'CHAIN_CYCLE',
      layer: 'disk-image',
      details: { path, chain: seen },
    });
  }
  const writable = depth === 1 && options.writable;
  const file = await options.openFile(path, writable);
  // A remote member is named by its masked URL from here on: reports and errors never hold its credentials.
  const shownPath = isRemoteUrl(path) ? maskUrl(path) : path;
  try {
    const { format, variant } = await detectImageFormat(file);
    if (depth === 1 && options.snapshot !== undefined && format !== 'qcow2') {
      throw new UnsupportedError(`${shownPath}: ${format} images have no internal snapshots (asked for ${JSON.stringify(options.snapshot)})`, { code: 'SNAPSHOTS_UNSUPPORTED', layer: 'disk-image', details: { path: shownPath, format } });
    }
    if (format === 'raw') {
      // Only what no registered driver claimed: a known container we do not read is an error, never raw.
      const unsupported = variant === 'raw' ? await detectUnsupportedContainer(file) : undefined;
      if (unsupported) throw unsupportedFormatError(shownPath, unsupported);
      return new RawImage(shownPath, file, variant === 'block-device' ? 'block-device' : 'raw');
    }
    const driver = imageDrivers().find((d) => d.format === format)!;
    return await driver.open({
      path: shownPath,
      file,
      options,
      depth,
      openParent: (parentPath) => openMember(resolve(parentPath), options, depth + 1, [...seen, identity]),
    });
  } catch (error) {
    await file.close();
    throw error;
  }
}

/** Device and inode when the path exists on this filesystem (two names for one file are one member). */
async function fileIdentity(path: string): Promise<string> {
  if (isRemoteUrl(path)) return path;
  try {
    const info = await stat(path);
    return `${info.dev}:${info.ino}`;
  } catch {
    return path;
  }
}
