/**
 * qcow2 detection by content: the magic "QFI\xfb" at offset 0. Versions 2
 * and 3 are qcow2; any other version (1 is the older "qcow" format, which
 * shares the magic) is claimed too and refused with a typed error, rather
 * than read as a raw disk. Never by extension.
 * Reference: qemu docs/interop/qcow2.txt, "Header"; qemu block/qcow.c (version 1).
 */
import type { ByteSource } from '@coldfix/io';
import { qcow2Unsupported } from './qcow2-errors.js';
import type { ImageVariant } from '../types.js';
import { QCOW2_MAGIC } from './layout/header.js';

export async function probeQcow2(file: ByteSource): Promise<ImageVariant | undefined> {
  if (file.size < 8) return undefined;
  const head = await file.read(0, 8);
  const view = new DataView(head.buffer, head.byteOffset, 8);
  if (view.getUint32(0) !== QCOW2_MAGIC) return undefined;
  const version = view.getUint32(4);
  if (version === 2) return 'v2';
  if (version === 3) return 'v3';
  throw qcow2Unsupported('QCOW2_UNSUPPORTED_VERSION', `qcow magic with version ${version}: ${version === 1 ? 'qcow version 1 is' : 'this version is'} not supported (qcow2 versions 2 and 3 are)`, { version });
}
