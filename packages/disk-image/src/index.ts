export type { ImageFormat, ImageVariant, ChainEntry, DiskImage, WritableDiskImage, OpenDiskImageOptions } from './types.js';
export { openDiskImage, detectImageFormat, remoteWriteRefused, DEFAULT_MAX_CHAIN_DEPTH } from './open.js';
export { registerImageDriver, type ImageDriver, type OpenContext } from './registry.js';
export { createDifferencingVhd, type CreateDifferencingOptions } from './vhd/create-differencing.js';
export { VhdImage } from './vhd/vhd-image.js';
export { RawImage } from './raw/raw-image.js';
export { VhdxImage } from './vhdx/vhdx-image.js';
export { Qcow2Image } from './qcow2/qcow2-image.js';
export type { ImageSnapshot } from './types.js';
