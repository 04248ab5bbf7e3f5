/**
 * Writes a new, empty differencing VHD over an existing VHD parent.
 *
 *   0      512            1536        BAT end (512-aligned)
 *   | footer copy | dynamic header | BAT (all unused) | locator data ... | footer |
 *
 * The header records the parent's unique ID and footer timestamp, its name
 * (UTF-16BE) and W2ru (relative, `.\name.vhd`) / W2ku (absolute) locators in
 * UTF-16LE, with their data in 512-byte sectors. As Windows does, the
 * locators' platform data space is stored in bytes (the specification says
 * sectors; see layout/parent-locator.ts).
 *
 * References: Microsoft VHD specification 1.0 (2006), "Creating a
 * differencing hard disk", "Parent Locator Entries"; libvhdi format document.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { ioErrorFrom, PreconditionError, UnsupportedError } from '@coldfix/io';
import { openDiskImage } from '../open.js';
import { storeVhdChecksum } from './codec/checksum.js';
import { encodeParentUnicodeName } from './codec/parent-locator-path.js';
import { VHD_DYNAMIC_HEADER_CHECKSUM_OFFSET, VHD_DYNAMIC_HEADER_SIZE, VHD_PARENT_NAME_OFFSET, VHD_PARENT_NAME_SIZE, VhdDynamicHeaderStruct } from './layout/dynamic-header.js';
import { VHD_EPOCH_MS, VHD_FOOTER_CHECKSUM_OFFSET, VHD_FOOTER_SIZE, VhdDiskType, VhdFooterStruct } from './layout/footer.js';
import { VHD_PARENT_LOCATOR_SIZE, VhdParentLocatorStruct } from './layout/parent-locator.js';
import { VhdImage } from './vhd-image.js';

const DEFAULT_BLOCK_SIZE = 2 << 20;
/** "cfix": our creator application tag; version 1.0; host "Wi2k" because the locators are Windows paths. */
const CREATOR_APPLICATION = 'cfix';
const CREATOR_HOST_WINDOWS = 0x5769326b;

export interface CreateDifferencingOptions {
  /** Which locators to write (default 'both'). */
  parentLocator?: 'relative' | 'absolute' | 'both';
}

/**
 * Creates `childPath` (must not exist) as a differencing VHD whose parent is
 * the VHD at `parentPath`. Throws NotFoundError / CorruptError from opening the
 * parent, UnsupportedError when the parent is not a VHD, PreconditionError when
 * the child exists.
 */
export async function createDifferencingVhd(childPath: string, parentPath: string, options: CreateDifferencingOptions = {}): Promise<void> {
  const child = resolve(childPath);
  const parentAbs = resolve(parentPath);
  const parent = await openDiskImage(parentAbs);
  let parentFooter: VhdImage['footer']['footer'];
  let blockSize = DEFAULT_BLOCK_SIZE;
  try {
    if (!(parent instanceof VhdImage)) {
      throw new UnsupportedError(`${parentAbs} is ${parent.format}, not a VHD: a differencing VHD needs a VHD parent`, { code: 'VHD_PARENT_NOT_VHD', layer: 'vhd' });
    }
    parentFooter = parent.footer.footer;
    if (parent.map) blockSize = parent.map.blockSize;
  } finally {
    await parent.close();
  }
  const size = Number(parentFooter.currentSize);
  const entries = Math.ceil(size / blockSize);
  const which = options.parentLocator ?? 'both';
  const relativePath = toWindowsRelative(relative(dirname(child), parentAbs));
  const locators: Array<{ code: string; data: Uint8Array }> = [];
  if (which !== 'absolute') locators.push({ code: 'W2ru', data: utf16le(relativePath) });
  // Windows form (backslashes): libvhdi's vhdimount takes the text after the last backslash as the parent's file name.
  const parentWindowsPath = parentAbs.split(sep).join('\\');
  if (which !== 'relative') locators.push({ code: 'W2ku', data: utf16le(parentWindowsPath) });

  const tableOffset = 512 + VHD_DYNAMIC_HEADER_SIZE;
  let cursor = tableOffset + roundUp(entries * 4, 512);
  const placed = locators.map((l) => {
    const space = roundUp(l.data.length, 512);
    const at = cursor;
    cursor += space;
    return { ...l, at, space };
  });
  const footerOffset = cursor;
  const image = new Uint8Array(footerOffset + VHD_FOOTER_SIZE);

  // BAT: every entry unused.
  image.fill(0xff, tableOffset, tableOffset + entries * 4);
  for (const l of placed) image.set(l.data, l.at);

  const header = VhdDynamicHeaderStruct.encode({
    cookie: 'cxsparse',
    dataOffset: 0xffffffffffffffffn,
    tableOffset: BigInt(tableOffset),
    headerVersion: 0x00010000,
    maxTableEntries: entries,
    blockSize,
    parentUniqueId: parentFooter.uniqueId,
    parentTimestamp: parentFooter.timestamp,
  });
  encodeParentUnicodeName(parentWindowsPath, header.subarray(VHD_PARENT_NAME_OFFSET, VHD_PARENT_NAME_OFFSET + VHD_PARENT_NAME_SIZE));
  placed.forEach((l, i) =>
    VhdParentLocatorStruct.encode(
      { platformCode: l.code, platformDataSpace: l.space, platformDataLength: l.data.length, platformDataOffset: BigInt(l.at) },
      header,
      576 + i * VHD_PARENT_LOCATOR_SIZE,
    ),
  );
  storeVhdChecksum(header, VHD_DYNAMIC_HEADER_CHECKSUM_OFFSET);
  image.set(header, 512);

  const footer = VhdFooterStruct.encode({
    cookie: 'conectix',
    features: 2,
    fileFormatVersion: 0x00010000,
    dataOffset: 512n,
    timestamp: Math.max(0, Math.floor((Date.now() - VHD_EPOCH_MS) / 1000)),
    creatorApplication: CREATOR_APPLICATION,
    creatorVersion: 0x00010000,
    creatorHostOs: CREATOR_HOST_WINDOWS,
    originalSize: parentFooter.currentSize,
    currentSize: parentFooter.currentSize,
    cylinders: parentFooter.cylinders,
    heads: parentFooter.heads,
    sectorsPerTrack: parentFooter.sectorsPerTrack,
    diskType: VhdDiskType.differencing,
    uniqueId: randomUUID(),
    savedState: 0,
  });
  storeVhdChecksum(footer, VHD_FOOTER_CHECKSUM_OFFSET);
  image.set(footer, 0);
  image.set(footer, footerOffset);

  try {
    await writeFile(child, image, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new PreconditionError(`${child} already exists; refusing to overwrite it`, { code: 'VHD_CHILD_EXISTS', layer: 'vhd', details: { path: child } });
    }
    throw ioErrorFrom(error, child, 'create');
  }
}

function toWindowsRelative(rel: string): string {
  const windows = rel.split(sep).join('\\');
  return windows.startsWith('..') ? windows : `.\\${windows}`;
}

function utf16le(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    out[i * 2] = text.charCodeAt(i) & 0xff;
    out[i * 2 + 1] = text.charCodeAt(i) >> 8;
  }
  return out;
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
