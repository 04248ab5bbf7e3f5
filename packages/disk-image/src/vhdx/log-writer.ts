/**
 * Encodes a VHDX log entry of 4 KiB data updates (MS-VHDX §2.3.1): header and
 * data descriptors in the descriptor sectors, then one data sector per update
 * (its bytes 8..4091 between the sequence number's halves; bytes 0..7 and
 * 4092..4095 kept in the descriptor), CRC-32C over the whole entry. Pure.
 */
import { crc32c } from '@coldfix/io';
import {
  VHDX_DATA_DESCRIPTOR_SIGNATURE,
  VHDX_DATA_SECTOR_SIGNATURE,
  VHDX_LOG_DESCRIPTOR_SIZE,
  VHDX_LOG_ENTRY_HEADER_SIZE,
  VHDX_LOG_ENTRY_SIGNATURE,
  VHDX_LOG_SECTOR,
  VhdxLogDataSectorStruct,
  VhdxLogDescriptorStruct,
  VhdxLogEntryHeaderStruct,
} from './layout/log-entry.js';

export interface SectorUpdate {
  /** 4 KiB-aligned file offset. */
  fileOffset: number;
  /** Exactly 4096 bytes. */
  data: Uint8Array;
}

export interface LogEntryInit {
  sequenceNumber: bigint;
  logGuid: string;
  /** Offset in the log of the sequence's first entry (this entry's own position when it stands alone). */
  tail: number;
  flushedFileOffset: number;
  lastFileOffset: number;
  updates: SectorUpdate[];
}

/** Data updates that fit one entry of a log of `logLength` bytes. */
export function maxUpdatesPerEntry(logLength: number): number {
  const sectors = logLength / VHDX_LOG_SECTOR;
  // n updates need ceil((64 + 32n) / 4096) descriptor sectors + n data sectors.
  let n = Math.max(0, sectors - 1);
  while (n > 0 && Math.ceil((VHDX_LOG_ENTRY_HEADER_SIZE + n * VHDX_LOG_DESCRIPTOR_SIZE) / VHDX_LOG_SECTOR) + n > sectors) n--;
  return n;
}

export function encodeLogEntry(init: LogEntryInit): Uint8Array {
  const n = init.updates.length;
  const descriptorSectors = Math.ceil((VHDX_LOG_ENTRY_HEADER_SIZE + n * VHDX_LOG_DESCRIPTOR_SIZE) / VHDX_LOG_SECTOR);
  const length = (descriptorSectors + n) * VHDX_LOG_SECTOR;
  const bytes = new Uint8Array(length);
  VhdxLogEntryHeaderStruct.encode(
    {
      signature: VHDX_LOG_ENTRY_SIGNATURE,
      checksum: 0,
      entryLength: length,
      tail: init.tail,
      sequenceNumber: init.sequenceNumber,
      descriptorCount: n,
      reserved: 0,
      logGuid: init.logGuid,
      flushedFileOffset: BigInt(init.flushedFileOffset),
      lastFileOffset: BigInt(init.lastFileOffset),
    },
    bytes,
  );
  const high = Number(init.sequenceNumber >> 32n);
  const low = Number(init.sequenceNumber & 0xffffffffn);
  init.updates.forEach((u, i) => {
    if (u.data.length !== VHDX_LOG_SECTOR || u.fileOffset % VHDX_LOG_SECTOR !== 0) throw new Error('log updates are aligned 4 KiB sectors');
    VhdxLogDescriptorStruct.encode(
      {
        signature: VHDX_DATA_DESCRIPTOR_SIGNATURE,
        trailingBytes: u.data.subarray(4092, 4096),
        leadingBytesOrZeroLength: u.data.subarray(0, 8),
        fileOffset: BigInt(u.fileOffset),
        sequenceNumber: init.sequenceNumber,
      },
      bytes,
      VHDX_LOG_ENTRY_HEADER_SIZE + i * VHDX_LOG_DESCRIPTOR_SIZE,
    );
    VhdxLogDataSectorStruct.encode(
      { signature: VHDX_DATA_SECTOR_SIGNATURE, sequenceHigh: high, data: u.data.subarray(8, 4092), sequenceLow: low },
      bytes,
      (descriptorSectors + i) * VHDX_LOG_SECTOR,
    );
  });
  new DataView(bytes.buffer).setUint32(4, crc32c(bytes), true);
  return bytes;
}
