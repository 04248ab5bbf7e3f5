/**
 * VMDK detection by content, never by extension: a hosted sparse header
 * `KDMV`, an ESX sparse header `COWD`, a seSparse constant header
 * (0xcafebabe, version 0x200000001), or a text descriptor.
 */
import { ColdfixError, type ByteSource } from '@coldfix/io';
import type { VmdkVariant } from '../types.js';
import { decodeDescriptorBytes, looksLikeDescriptor, parseDescriptor, variantOf } from './descriptor.js';
import { COWD_MAGIC } from './layout/cowd-header.js';
import { SESPARSE_CONST_MAGIC, SESPARSE_VERSION } from './layout/sesparse-header.js';
import { SPARSE_MAGIC, SparseExtentHeaderStruct, SparseFlags } from './layout/sparse-header.js';
import { VMDK_LIMITS } from './vmdk-errors.js';

export type VmdkFileKind = 'sparse' | 'cowd' | 'sesparse' | 'descriptor';

/** What kind of VMDK file `head` (its first up to 1024 bytes) starts, if any. */
export function vmdkFileKind(head: Uint8Array, fileSize: number): VmdkFileKind | undefined {
  if (head.length < 4) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = view.getUint32(0, true);
  if (magic === SPARSE_MAGIC && head.length >= 512) return 'sparse';
  if (magic === COWD_MAGIC && head.length >= 512) return 'cowd';
  if (head.length >= 16 && view.getBigUint64(0, true) === SESPARSE_CONST_MAGIC && view.getBigUint64(8, true) === SESPARSE_VERSION) return 'sesparse';
  if (fileSize <= VMDK_LIMITS.descriptorBytes && looksLikeDescriptor(head)) return 'descriptor';
  return undefined;
}

export async function probeVmdk(file: ByteSource): Promise<VmdkVariant | undefined> {
  const head = await file.read(0, Math.min(1024, file.size));
  const kind = vmdkFileKind(head, file.size);
  if (kind === 'cowd') return 'vmfsSparse';
  if (kind === 'sesparse') return 'seSparse';
  if (kind === 'descriptor') return createTypeOf(await file.read(0, file.size), 'custom');
  if (kind !== 'sparse') return undefined;
  const header = SparseExtentHeaderStruct.decode(head);
  const fallback: VmdkVariant = header.flags & SparseFlags.compressedGrains ? 'streamOptimized' : 'monolithicSparse';
  const offset = header.descriptorOffset * 512n;
  const size = header.descriptorSize * 512n;
  if (offset === 0n || size === 0n || size > BigInt(VMDK_LIMITS.descriptorBytes) || offset + size > BigInt(file.size)) return fallback;
  return createTypeOf(await file.read(Number(offset), Number(size)), fallback);
}

function createTypeOf(bytes: Uint8Array, fallback: VmdkVariant): VmdkVariant {
  try {
    return variantOf(parseDescriptor(decodeDescriptorBytes(bytes, 'probe'), 'probe').createType, fallback);
  } catch (error) {
    if (!(error instanceof ColdfixError)) throw error;
    // A damaged descriptor is still a VMDK: opening reports the damage as a typed error.
    return fallback;
  }
}
