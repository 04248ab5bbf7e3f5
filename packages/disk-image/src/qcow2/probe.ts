/**
 * qcow2 detection by content: the magic "QFI\xfb" at offset 0 and version 2
 * or 3 (version 1 "qcow" images are a different format). Never by extension.
 * Reference: qemu docs/interop/qcow2.txt, "Header".
 */
import type { ByteSource } from '@coldfix/io';
import type { ImageVariant } from '../types.js';
import { QCOW2_MAGIC } from './layout/header.js';

export async function probeQcow2(file: ByteSource): Promise<ImageVariant | undefined> {
  if (file.size < 8) return undefined;
  const head = await file.read(0, 8);
  const view = new DataView(head.buffer, head.byteOffset, 8);
  if (view.getUint32(0) !== QCOW2_MAGIC) return undefined;
  const version = view.getUint32(4);
  return version === 2 ? 'v2' : version === 3 ? 'v3' : undefined;
}
