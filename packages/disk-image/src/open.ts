/**
 * Opening images: detect by content, dispatch to the format's driver, resolve
 * parent chains with cycle and depth limits. Only the member asked for may be
 * opened writable; parents are always read-only.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CorruptError, FileSource, LimitExceededError, WritableFileSource, type ByteSource, type FileOpener } from '@coldfix/io';
import { isBlockDevice, RawImage } from './raw/raw-image.js';
import { imageDrivers, registerImageDriver, type ResolvedOpenOptions } from './registry.js';
import type { DiskImage, ImageFormat, ImageVariant, OpenDiskImageOptions, WritableDiskImage } from './types.js';
import { vhdDriver } from './vhd/open-vhd.js';
import { vmdkDriver } from './vmdk/open-vmdk.js';

registerImageDriver(vhdDriver);
registerImageDriver(vmdkDriver);

export const DEFAULT_MAX_CHAIN_DEPTH = 64;

const defaultOpener = (async (path: string, writable: boolean) =>
  writable ? WritableFileSource.openWritable(path) : FileSource.open(path)) as unknown as FileOpener;

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
    vmdk: options.vmdk ?? {},
  };
  return openMember(resolve(path), resolved, 1, []);
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
  try {
    const { format, variant } = await detectImageFormat(file);
    if (format === 'raw') return new RawImage(path, file, variant === 'block-device' ? 'block-device' : 'raw');
    const driver = imageDrivers().find((d) => d.format === format)!;
    return await driver.open({
      path,
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
  try {
    const info = await stat(path);
    return `${info.dev}:${info.ino}`;
  } catch {
    return path;
  }
}
