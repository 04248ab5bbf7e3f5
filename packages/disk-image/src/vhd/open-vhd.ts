/**
 * The VHD driver: probe and open (fixed, dynamic, differencing with its chain).
 * References: Microsoft VHD specification 1.0 (2006); libvhdi format document;
 * qemu block/vpc.c (virtual size: qemu uses CHS for creators "vpc " and
 * "qemu"; we always use the footer's current size, as Windows and libvhdi do).
 */
import type { ImageDriver, OpenContext } from '../registry.js';
import type { DiskImage } from '../types.js';
import { readDynamicMetadata } from './dynamic-metadata.js';
import { readVhdFooter } from './footer-reader.js';
import { openVhdParent } from './parent-resolver.js';
import { probeVhd } from './probe.js';
import { hex } from './vhd-errors.js';
import { VhdImage } from './vhd-image.js';
import { RawImage } from '../raw/raw-image.js';

export const vhdDriver: ImageDriver = {
  format: 'vhd',
  probe: probeVhd,
  open: openVhd,
};

async function openVhd(context: OpenContext): Promise<DiskImage> {
  const { file, path } = context;
  const location = await readVhdFooter(file);
  const footer = location.footer;
  const anomalies = [...location.anomalies];
  const currentSize = Number(footer.currentSize);
  const chsSize = footer.cylinders * footer.heads * footer.sectorsPerTrack * 512;
  if (chsSize !== currentSize && ['vpc ', 'qemu'].includes(footer.creatorApplication)) {
    anomalies.push(`creator "${footer.creatorApplication}": CHS geometry gives ${chsSize} bytes, current size ${currentSize} (used); qemu would use the CHS size`);
  }
  if (footer.diskTypeName === 'fixed') {
    if (currentSize > location.trailingOffset) {
      // A valid fixed-VHD footer describing a disk larger than the bytes before it: a volume or
      // partition carved out of a fixed VHD together with its footer (`dd` of the last partition;
      // Velocidex's charlie.dd and dissect's ntfs.bin are such files). A truncated fixed VHD would
      // have lost its footer too, so the bytes are read as they are: raw, with an anomaly.
      const raw = new RawImage(path, file, 'raw');
      raw.anomalies.push(
        `trailing VHD footer (fixed, current size ${currentSize}) does not fit the ${location.trailingOffset} bytes before it at ${hex(location.trailingOffset)}: read as raw (a volume carved from a VHD with its footer)`,
      );
      return raw;
    }
    return new VhdImage({ path, file, footer: location, anomalies });
  }
  const meta = await readDynamicMetadata(file, footer, location.trailingOffset);
  anomalies.push(...meta.anomalies);
  const parent = footer.diskTypeName === 'differencing' ? await openVhdParent(context, meta, anomalies) : undefined;
  if (parent && parent.size !== currentSize) anomalies.push(`parent virtual size ${parent.size} differs from the child's ${currentSize}`);
  return new VhdImage({ path, file, footer: location, meta, parent, anomalies });
}
