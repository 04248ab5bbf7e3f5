/**
 * VHD detection by content: the footer cookie `conectix` in the last 512 bytes
 * (every VHD), or at offset 0 with a valid checksum and a dynamic or
 * differencing type (the copy, when the trailing footer is damaged).
 * Never by extension. Reference: Microsoft VHD specification 1.0 (2006).
 */
import { CorruptError, type ByteSource } from '@coldfix/io';
import type { ImageVariant } from '../types.js';
import { decodeVhdFooter, hasFooterCookie } from './footer-reader.js';
import { diskTypeName, VHD_FOOTER_SIZE, VhdFooterStruct } from './layout/footer.js';

export async function probeVhd(file: ByteSource): Promise<ImageVariant | undefined> {
  if (file.size < VHD_FOOTER_SIZE) return undefined;
  const tailOffset = file.size - VHD_FOOTER_SIZE;
  const tail = await file.read(tailOffset, VHD_FOOTER_SIZE);
  if (hasFooterCookie(tail)) {
    try {
      return decodeVhdFooter(tail, tailOffset).diskTypeName;
    } catch (error) {
      if (!(error instanceof CorruptError)) throw error;
      const copy = await validCopyAtStart(file);
      if (copy) return copy;
      // A damaged footer is still a VHD: opening reports the damage as a typed error.
      const name = diskTypeName(VhdFooterStruct.decode(tail).diskType);
      if (name) return name;
      throw error;
    }
  }
  return validCopyAtStart(file);
}

async function validCopyAtStart(file: ByteSource): Promise<ImageVariant | undefined> {
  const head = await file.read(0, VHD_FOOTER_SIZE);
  if (!hasFooterCookie(head)) return undefined;
  try {
    const name = decodeVhdFooter(head, 0).diskTypeName;
    return name === 'fixed' ? undefined : name;
  } catch (error) {
    if (error instanceof CorruptError) return undefined;
    throw error;
  }
}
