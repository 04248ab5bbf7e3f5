export type { ImageFormat, ImageVariant, ChainEntry, DiskImage, WritableDiskImage, OpenDiskImageOptions } from './types.js';
export { openDiskImage, detectImageFormat, DEFAULT_MAX_CHAIN_DEPTH } from './open.js';
export { registerImageDriver, type ImageDriver, type OpenContext } from './registry.js';
export { createDifferencingVhd, type CreateDifferencingOptions } from './vhd/create-differencing.js';
export { VhdImage } from './vhd/vhd-image.js';
export { RawImage } from './raw/raw-image.js';
export { detectUnsupportedContainer, unsupportedFormatError, type UnsupportedContainer } from './unsupported.js';
