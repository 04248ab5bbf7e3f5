/**
 * The VHDX header update protocol (MS-VHDX §2.2.2.1): a new header, sequence
 * number + 1, with a new FileWriteGuid on the session's first update, is
 * written over the non-current copy and flushed; it then becomes current. The
 * old copy stays valid until then, so a crash at any point leaves one valid
 * header. Writes go through the file as opened (a repair's journaled file).
 */
import { randomUUID } from 'node:crypto';
import type { WritableByteSource } from '@coldfix/io';
import { storeChecksum, type VhdxHeaderSection } from './headers.js';
import { VHDX_HEADER_CHECKSUM_OFFSET, VHDX_HEADER_OFFSETS, VHDX_HEADER_SIZE, VhdxHeaderStruct, type VhdxHeader } from './layout/header.js';

export interface HeaderChanges {
  dataWriteGuid?: string;
  logGuid?: string;
  /** Default: keep the current FileWriteGuid (callers pass a new one on the session's first update). */
  fileWriteGuid?: string;
}

/** Writes the next header into the non-current slot; updates `section` in place. */
export async function writeNextHeader(file: WritableByteSource, section: VhdxHeaderSection, changes: HeaderChanges): Promise<VhdxHeader> {
  const current = section.header;
  const next: VhdxHeader = {
    ...current,
    sequenceNumber: current.sequenceNumber + 1n,
    fileWriteGuid: changes.fileWriteGuid ?? current.fileWriteGuid,
    dataWriteGuid: changes.dataWriteGuid ?? current.dataWriteGuid,
    logGuid: changes.logGuid ?? current.logGuid,
    checksum: 0,
  };
  // Reserved bytes are written as zero (the struct encodes only the named fields into a fresh buffer).
  const bytes = VhdxHeaderStruct.encode(next, new Uint8Array(VHDX_HEADER_SIZE));
  storeChecksum(bytes, VHDX_HEADER_CHECKSUM_OFFSET);
  const slot = 1 - section.headerIndex;
  await file.write(VHDX_HEADER_OFFSETS[slot], bytes);
  await file.flush();
  next.checksum = new DataView(bytes.buffer).getUint32(VHDX_HEADER_CHECKSUM_OFFSET, true);
  section.header = next;
  section.headerIndex = slot;
  return next;
}

export const newGuid = (): string => randomUUID();
