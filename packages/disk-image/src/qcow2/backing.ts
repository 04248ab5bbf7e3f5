/**
 * Opens what a qcow2 image depends on: its backing file (relative names
 * resolve against the image's folder, as qemu does; then `parentDirs` by file
 * name) and its external data file.
 *
 * qcow2 records no identity of its backing file, so the check is the format:
 * when the header names one (backing format extension), the parent must be of
 * that format, and "raw" is opened as raw without probing (a raw backing file
 * whose bytes look like another format must not be read as that format: the
 * reason qemu stopped probing backing files). A missing backing format is an
 * anomaly and the content decides.
 *
 * References: qemu docs/interop/qcow2.txt ("backing_file_offset", "Backing
 * file format name", "External data file name"); qemu-img(1).
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { LimitExceededError, NotFoundError, ParentMismatchError, UnsupportedError, type ByteSource } from '@coldfix/io';
import { RawImage } from '../raw/raw-image.js';
import type { OpenContext } from '../registry.js';
import type { DiskImage, ImageFormat } from '../types.js';
import type { Qcow2Header } from './header-reader.js';
import { QCOW2_LAYER } from './qcow2-errors.js';

/** qemu format names → ours. */
const FORMAT_NAMES: Record<string, ImageFormat | 'raw'> = { qcow2: 'qcow2', raw: 'raw', vpc: 'vhd' };

export async function openQcow2Backing(context: OpenContext, header: Qcow2Header, anomalies: string[]): Promise<DiskImage> {
  const name = header.backingFile!;
  if (/^[a-z][a-z0-9+.-]*:/i.test(name) && !/^[a-z]:[\\/]/i.test(name)) {
    throw new UnsupportedError(`${context.path}: backing file ${JSON.stringify(name)} is a protocol or JSON specification, not a file`, {
      code: 'QCOW2_BACKING_PROTOCOL',
      layer: QCOW2_LAYER,
      details: { child: context.path, backingFile: name },
    });
  }
  const candidates = candidatePaths(context, name);
  const tried: string[] = [];
  for (const candidate of candidates) {
    tried.push(candidate);
    const info = await stat(candidate).catch(() => undefined);
    if (!info || info.isDirectory()) continue;
    return openAs(context, candidate, header.backingFormat, anomalies);
  }
  throw new NotFoundError(`${context.path}: backing file ${JSON.stringify(name)} not found; tried ${tried.join(', ')}`, {
    code: 'QCOW2_BACKING_NOT_FOUND',
    layer: QCOW2_LAYER,
    details: { child: context.path, backingFile: name, backingFormat: header.backingFormat ?? null, tried },
  });
}

function candidatePaths(context: OpenContext, name: string): string[] {
  const out = [isAbsolute(name) ? name : resolve(dirname(context.path), name)];
  const base = basename(name.replace(/\\/g, '/'));
  for (const dir of context.options.parentDirs) {
    const p = join(dir, base);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

async function openAs(context: OpenContext, path: string, declared: string | undefined, anomalies: string[]): Promise<DiskImage> {
  const expected = declared === undefined ? undefined : FORMAT_NAMES[declared];
  if (declared !== undefined && expected === undefined) {
    throw new UnsupportedError(`${context.path}: backing format ${JSON.stringify(declared)} is not supported`, {
      code: 'QCOW2_BACKING_FORMAT_UNSUPPORTED',
      layer: QCOW2_LAYER,
      details: { child: context.path, backingFile: path, backingFormat: declared },
    });
  }
  if (expected === 'raw') {
    if (context.depth + 1 > context.options.maxChainDepth) {
      throw new LimitExceededError(`image chain deeper than ${context.options.maxChainDepth} at ${path}`, {
        code: 'CHAIN_TOO_DEEP',
        layer: 'disk-image',
        details: { path, maxChainDepth: context.options.maxChainDepth },
      });
    }
    const file = await context.options.openFile(path, false);
    return new RawImage(path, file, 'raw');
  }
  if (declared === undefined) anomalies.push(`backing file ${path}: no backing format recorded, detected by content`);
  const parent = await context.openParent(path);
  if (expected !== undefined && parent.format !== expected) {
    await parent.close();
    throw new ParentMismatchError(`${context.path}: backing file ${path} is ${parent.format}, the header says ${declared}`, {
      code: 'QCOW2_BACKING_FORMAT_MISMATCH',
      layer: QCOW2_LAYER,
      details: { child: context.path, backingFile: path, declared: declared ?? null, found: parent.format },
    });
  }
  return parent;
}

/** Opens the external data file named in the header (relative to the image's folder). */
export async function openQcow2DataFile(context: OpenContext, header: Qcow2Header, writable: boolean): Promise<ByteSource> {
  const name = header.dataFile!;
  const path = isAbsolute(name) ? name : resolve(dirname(context.path), name);
  const info = await stat(path).catch(() => undefined);
  if (!info || info.isDirectory()) {
    throw new NotFoundError(`${context.path}: external data file ${JSON.stringify(name)} not found at ${path}`, {
      code: 'QCOW2_DATA_FILE_NOT_FOUND',
      layer: QCOW2_LAYER,
      details: { image: context.path, dataFile: name, tried: [path] },
    });
  }
  return context.options.openFile(path, writable);
}
