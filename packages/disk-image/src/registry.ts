/**
 * The container driver registry: each format module offers a content probe and
 * an opener. Detection asks the drivers in order; a file none of them claims is
 * raw. VHDX, qcow2 and VMDK slot in here as new modules.
 */
import type { ByteSource } from '@coldfix/io';
import type { DiskImage, ImageFormat, ImageVariant, OpenDiskImageOptions } from './types.js';

export interface ResolvedOpenOptions extends Required<Omit<OpenDiskImageOptions, 'writable' | 'snapshot'>> {
  writable: boolean;
  snapshot?: string;
}

/** What a driver gets to open one member of a chain. */
export interface OpenContext {
  /** Absolute path of this member. */
  path: string;
  file: ByteSource;
  options: ResolvedOpenOptions;
  /** 1 for the image asked for, 2 for its parent, … */
  depth: number;
  /** Opens a parent (always read-only) one level deeper, with cycle and depth checks. */
  openParent(path: string): Promise<DiskImage>;
}

export interface ImageDriver {
  readonly format: Exclude<ImageFormat, 'raw'>;
  /** The variant when `file` is in this format; undefined when it is not. Throws only typed errors. */
  probe(file: ByteSource): Promise<ImageVariant | undefined>;
  open(context: OpenContext): Promise<DiskImage>;
}

const drivers: ImageDriver[] = [];

/** Adds a container format (a module calls this once). Order matters: first match wins. */
export function registerImageDriver(driver: ImageDriver): void {
  if (!drivers.some((d) => d.format === driver.format)) drivers.push(driver);
}

export function imageDrivers(): readonly ImageDriver[] {
  return drivers;
}
