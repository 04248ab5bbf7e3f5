/**
 * VHDX log: finds the active sequence and turns it into the list of writes it
 * stands for (4 KiB data sectors and zeroed ranges), without touching the
 * file. Read-only opens lay those writes over the file in memory
 * (patched-source.ts), as MS-VHDX requires of a reader that cannot write.
 *
 *   log (ring, LogLength bytes at LogOffset)
 *   | … | entry n (tail) | entry n+1 | … | entry m (head: Tail → entry n) | stale … |
 *   entry = [header + descriptors (4 KiB sectors)][one 4 KiB data sector per data descriptor]
 *
 * Search (MS-VHDX §2.3.3): from every 4 KiB position, extend a sequence over
 * consecutive valid entries (sequence number + 1 each); it is valid when its
 * head's Tail lies inside it; the valid sequence with the highest head sequence
 * number wins, trimmed to start at the head's tail.
 *
 * References: MS-VHDX §2.3 "Log" (§2.3.1–§2.3.3); libyal libvhdi VHDX format §5
 * (libvhdi itself does not replay); qemu block/vhdx-log.c (read to learn).
 */
import { crc32c, type ByteSource } from '@coldfix/io';
import type { VhdxHeader } from './layout/header.js';
import {
  VHDX_DATA_DESCRIPTOR_SIGNATURE,
  VHDX_DATA_SECTOR_SIGNATURE,
  VHDX_LOG_DESCRIPTOR_SIZE,
  VHDX_LOG_ENTRY_HEADER_SIZE,
  VHDX_LOG_ENTRY_SIGNATURE,
  VHDX_LOG_SECTOR,
  VHDX_ZERO_DESCRIPTOR_SIGNATURE,
  VhdxLogDataSectorStruct,
  VhdxLogDescriptorStruct,
  VhdxLogEntryHeaderStruct,
} from './layout/log-entry.js';
import { NULL_GUID_TEXT } from './guids.js';
import { hex, vhdxCorrupt, vhdxLimit, vhdxUnsupported } from './vhdx-errors.js';

/** Largest log we read into memory (Windows and qemu make 1 MiB logs). */
export const VHDX_MAX_LOG_LENGTH = 256 * 1024 * 1024;
const MIB = 1024 * 1024;

export type LogWrite = { kind: 'data'; fileOffset: number; data: Uint8Array } | { kind: 'zero'; fileOffset: number; length: number };

export interface LogEntry {
  /** Offset in the log. */
  position: number;
  length: number;
  tail: number;
  sequenceNumber: bigint;
  flushedFileOffset: number;
  lastFileOffset: number;
  writes: LogWrite[];
}

export interface ActiveSequence {
  entries: LogEntry[];
  head: LogEntry;
}

export interface LogReplay {
  /** Empty when the header's LogGuid is zero (nothing to replay). */
  entries: LogEntry[];
  writes: LogWrite[];
  /** The file size after replay (at least the head's LastFileOffset). */
  size: number;
}

/** Reads the log named by `header` and returns what replaying it writes. Throws CorruptError (no valid sequence, truncated file), UnsupportedError, LimitExceededError. */
export async function readVhdxLog(file: ByteSource, header: VhdxHeader, headerOffset: number): Promise<LogReplay> {
  if (header.logGuid === NULL_GUID_TEXT) return { entries: [], writes: [], size: file.size };
  if (header.logVersion !== 0) {
    throw vhdxUnsupported('VHDX_LOG_VERSION', `VHDX header LogVersion ${header.logVersion} with a pending log: coldfix knows version 0 only`, headerOffset + 64, { actual: header.logVersion });
  }
  const logOffset = Number(header.logOffset);
  const logLength = header.logLength;
  if (logLength === 0 || logLength % MIB !== 0 || header.logOffset % BigInt(MIB) !== 0n || logOffset < MIB) {
    throw vhdxCorrupt('VHDX_LOG_LOCATION', `VHDX log at ${hex(header.logOffset)}, ${hex(logLength)} bytes: not 1 MiB-aligned past the header section`, headerOffset + 68);
  }
  if (logLength > VHDX_MAX_LOG_LENGTH) {
    throw vhdxLimit('VHDX_LOG_TOO_LARGE', `VHDX log of ${logLength} bytes is above our ${VHDX_MAX_LOG_LENGTH}-byte cap`, headerOffset + 68, { logLength });
  }
  if (logOffset + logLength > file.size) {
    throw vhdxCorrupt('VHDX_LOG_OUTSIDE_FILE', `VHDX log [${hex(logOffset)}, +${hex(logLength)}) runs past the end of the file (${hex(file.size)})`, headerOffset + 72);
  }
  const log = await file.read(logOffset, logLength);
  const active = findActiveSequence(log, header.logGuid);
  if (!active) {
    throw vhdxCorrupt('VHDX_LOG_NO_VALID_SEQUENCE', `VHDX log ${header.logGuid} at ${hex(logOffset)} holds no valid entry sequence, so the pending updates cannot be replayed`, logOffset, { logGuid: header.logGuid });
  }
  if (active.head.flushedFileOffset > file.size) {
    throw vhdxCorrupt('VHDX_TRUNCATED', `VHDX file is ${file.size} bytes but its log's head entry says it was at least ${active.head.flushedFileOffset} (FlushedFileOffset): the file was truncated`, logOffset + active.head.position + 48, {
      fileSize: file.size,
      flushedFileOffset: active.head.flushedFileOffset,
    });
  }
  const writes = active.entries.flatMap((e) => e.writes);
  let size = Math.max(file.size, active.head.lastFileOffset);
  for (const w of writes) size = Math.max(size, w.fileOffset + (w.kind === 'data' ? w.data.length : w.length));
  return { entries: active.entries, writes, size };
}

/**
 * The active sequence of a log (MS-VHDX §2.3.3), or undefined when there is none. Pure.
 * Each position is decoded at most once, and the bytes checksummed are capped (a crafted log of
 * overlapping huge entries would otherwise cost length × positions): LimitExceededError past the cap.
 */
export function findActiveSequence(log: Uint8Array, logGuid: string): ActiveSequence | undefined {
  const size = log.length;
  const decoded = new Map<number, LogEntry | undefined>();
  let budget = 16 * size + 64 * MIB;
  const entryAt = (position: number): LogEntry | undefined => {
    if (decoded.has(position)) return decoded.get(position);
    const entry = decodeLogEntry(log, position, logGuid, (n) => {
      budget -= n;
      if (budget < 0) throw vhdxLimit('VHDX_LOG_SCAN_LIMIT', `VHDX log of ${size} bytes: its entries overlap so much that checking them would read more than ${16 * size + 64 * MIB} bytes`, undefined, { logLength: size });
    });
    decoded.set(position, entry);
    return entry;
  };
  let best: ActiveSequence | undefined;
  let tail = 0;
  let oldTail = 0;
  for (;;) {
    const sequence: LogEntry[] = [];
    const seen = new Set<number>();
    let position = tail;
    for (;;) {
      const entry = entryAt(position);
      if (!entry) break;
      const prev = sequence[sequence.length - 1];
      if (prev && entry.sequenceNumber !== prev.sequenceNumber + 1n) break;
      // A sequence that came all the way round to its start stops there.
      if (seen.has(entry.position)) break;
      seen.add(entry.position);
      sequence.push(entry);
      position = (position + entry.length) % size;
    }
    const head = sequence[sequence.length - 1];
    const tailIndex = head ? sequence.findIndex((e) => e.position === head.tail) : -1;
    if (head && tailIndex >= 0 && (!best || head.sequenceNumber > best.head.sequenceNumber)) {
      best = { entries: sequence.slice(tailIndex), head };
    }
    // Next start: past an invalid position by one sector, or past a valid sequence's head.
    tail = !head || tailIndex < 0 ? tail + VHDX_LOG_SECTOR : position;
    if (tail >= size) tail %= size;
    // Positions only move forward; coming back to or below the last start means the ring was scanned.
    if (tail <= oldTail) break;
    oldTail = tail;
  }
  return best;
}

/** Bytes [position, position + length) of the ring. */
function ringBytes(log: Uint8Array, position: number, length: number): Uint8Array {
  if (position + length <= log.length) return log.subarray(position, position + length);
  const out = new Uint8Array(length);
  const first = log.length - position;
  out.set(log.subarray(position));
  out.set(log.subarray(0, length - first), first);
  return out;
}

/** The entry at `position` when every check passes; undefined otherwise. Pure. */
export function decodeLogEntry(log: Uint8Array, position: number, logGuid: string, charge: (bytes: number) => void = () => undefined): LogEntry | undefined {
  if (position % VHDX_LOG_SECTOR !== 0 || position + VHDX_LOG_SECTOR > log.length) return undefined;
  const h = VhdxLogEntryHeaderStruct.decode(log, position);
  if (h.signature !== VHDX_LOG_ENTRY_SIGNATURE || h.logGuid !== logGuid || h.sequenceNumber === 0n) return undefined;
  if (h.entryLength < VHDX_LOG_SECTOR || h.entryLength % VHDX_LOG_SECTOR !== 0 || h.entryLength > log.length) return undefined;
  if (h.tail % VHDX_LOG_SECTOR !== 0 || h.tail >= log.length) return undefined;
  if (h.flushedFileOffset % BigInt(MIB) !== 0n || h.lastFileOffset % BigInt(MIB) !== 0n) return undefined;
  if (h.flushedFileOffset > BigInt(Number.MAX_SAFE_INTEGER) || h.lastFileOffset > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const descriptorSectors = Math.ceil((VHDX_LOG_ENTRY_HEADER_SIZE + h.descriptorCount * VHDX_LOG_DESCRIPTOR_SIZE) / VHDX_LOG_SECTOR);
  if (descriptorSectors * VHDX_LOG_SECTOR > h.entryLength) return undefined;
  charge(h.entryLength);
  const bytes = ringBytes(log, position, h.entryLength);
  const copy = bytes.slice();
  copy.fill(0, 4, 8);
  if (crc32c(copy) !== h.checksum) return undefined;
  const writes: LogWrite[] = [];
  let dataSector = descriptorSectors;
  for (let i = 0; i < h.descriptorCount; i++) {
    const d = VhdxLogDescriptorStruct.decode(bytes, VHDX_LOG_ENTRY_HEADER_SIZE + i * VHDX_LOG_DESCRIPTOR_SIZE);
    if (d.sequenceNumber !== h.sequenceNumber || d.fileOffset % BigInt(VHDX_LOG_SECTOR) !== 0n || d.fileOffset > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    const fileOffset = Number(d.fileOffset);
    if (d.signature === VHDX_ZERO_DESCRIPTOR_SIGNATURE) {
      const length = new DataView(d.leadingBytesOrZeroLength.buffer, d.leadingBytesOrZeroLength.byteOffset, 8).getBigUint64(0, true);
      if (length % BigInt(VHDX_LOG_SECTOR) !== 0n || length > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
      writes.push({ kind: 'zero', fileOffset, length: Number(length) });
    } else if (d.signature === VHDX_DATA_DESCRIPTOR_SIGNATURE) {
      if ((dataSector + 1) * VHDX_LOG_SECTOR > h.entryLength) return undefined;
      const sector = VhdxLogDataSectorStruct.decode(bytes, dataSector * VHDX_LOG_SECTOR);
      const seq = BigInt(sector.sequenceHigh) * 2n ** 32n + BigInt(sector.sequenceLow);
      if (sector.signature !== VHDX_DATA_SECTOR_SIGNATURE || seq !== h.sequenceNumber) return undefined;
      const data = new Uint8Array(VHDX_LOG_SECTOR);
      data.set(d.leadingBytesOrZeroLength, 0);
      data.set(sector.data, 8);
      data.set(d.trailingBytes, 4092);
      writes.push({ kind: 'data', fileOffset, data });
      dataSector++;
    } else {
      return undefined;
    }
  }
  return {
    position,
    length: h.entryLength,
    tail: h.tail,
    sequenceNumber: h.sequenceNumber,
    flushedFileOffset: Number(h.flushedFileOffset),
    lastFileOffset: Number(h.lastFileOffset),
    writes,
  };
}
