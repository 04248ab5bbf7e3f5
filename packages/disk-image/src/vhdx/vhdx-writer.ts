/**
 * Writes into a VHDX (the leaf of a chain; parents are never opened writable).
 *
 * - Before the first change: the header update protocol with a new
 *   FileWriteGuid and DataWriteGuid (MS-VHDX §2.2.2, §2.2.2.1).
 * - A fully present block: written in place.
 * - Any other block (not present, zero, undefined, unmapped, or partially
 *   present in a differencing file) is materialised whole: its current
 *   virtual content (zeros or the parent's sectors, through our own read) plus
 *   the new bytes, at a new 1 MiB-aligned place at the end of the file (or in
 *   place for a partially present block), then marked FULLY_PRESENT. So no
 *   sector bitmap ever needs changing, and every reader sees the same bytes.
 * - BAT changes go through the log (§2.3): payload written and flushed; a log
 *   entry holding the new BAT sectors written at the log's start and flushed;
 *   the header's LogGuid set to the session's log GUID; the BAT sectors written
 *   in place and flushed. `flush()` clears LogGuid again (header update).
 *   A crash before the entry is durable leaves unreferenced space; after it,
 *   replay (ours or qemu's) re-applies the BAT sectors.
 * Everything goes through the file as opened, so a repair's undo journal holds
 * the before-image of every byte changed.
 */
import { type ResizableByteSource } from '@coldfix/io';
import { encodeBatEntry, PayloadState, payloadBatIndex, type BatEntry } from './codec/bat-entry.js';
import type { VhdxBlockMap } from './block-map.js';
import type { VhdxHeaderSection } from './headers.js';
import { newGuid, writeNextHeader } from './header-update.js';
import { encodeLogEntry, maxUpdatesPerEntry, type SectorUpdate } from './log-writer.js';
import { NULL_GUID_TEXT } from './guids.js';
import type { VhdxMetadata } from './metadata.js';
import { vhdxCorrupt } from './vhdx-errors.js';

const MIB = 1024 * 1024;
const SECTOR = 4096;

export interface VhdxWriteTarget {
  file: ResizableByteSource;
  section: VhdxHeaderSection;
  meta: VhdxMetadata;
  map: VhdxBlockMap;
  /** The virtual disk's current bytes (zeros / parent where the file has none). */
  readVirtual(offset: number, length: number): Promise<Uint8Array>;
}

export class VhdxWriter {
  private sessionStarted = false;
  private dataChanged = false;
  private logGuid: string | undefined;
  private sequence = 0n;

  constructor(private readonly t: VhdxWriteTarget) {}

  /** Header update before any other change of the session: a new FileWriteGuid. */
  async startSession(changes: { logGuid?: string } = {}): Promise<void> {
    if (this.sessionStarted) return;
    await writeNextHeader(this.t.file, this.t.section, { fileWriteGuid: newGuid(), ...changes });
    this.sessionStarted = true;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    if (data.length === 0) return;
    const { file, meta, map } = this.t;
    if (!this.dataChanged) {
      await this.startSession();
      await writeNextHeader(file, this.t.section, { dataWriteGuid: newGuid() });
      this.dataChanged = true;
    }
    const bat = new Map<number, BatEntry>();
    const end = offset + data.length;
    let pos = offset;
    let wroteBlocks = false;
    while (pos < end) {
      const block = Math.floor(pos / meta.blockSize);
      const blockStart = block * meta.blockSize;
      const segEnd = Math.min(end, blockStart + meta.blockSize);
      const piece = data.subarray(pos - offset, segEnd - offset);
      const entry = await map.payload(block);
      if (entry.state === PayloadState.fullyPresent) {
        await file.write(entry.fileOffset + (pos - blockStart), piece);
      } else {
        const content = new Uint8Array(meta.blockSize);
        content.set(await this.t.readVirtual(blockStart, map.blockLength(block)));
        content.set(piece, pos - blockStart);
        let at = entry.fileOffset;
        if (entry.state !== PayloadState.partiallyPresent) {
          at = Math.ceil(file.size / MIB) * MIB;
          await file.resize(at + meta.blockSize);
        }
        await file.write(at, content);
        bat.set(payloadBatIndex(block, meta.chunkRatio), { state: PayloadState.fullyPresent, fileOffset: at });
        wroteBlocks = true;
      }
      pos = segEnd;
    }
    if (wroteBlocks) {
      await file.flush();
      await this.updateBat(bat);
    }
  }

  /** Writes BAT entries through the log (see the module comment). */
  private async updateBat(entries: Map<number, BatEntry>): Promise<void> {
    const { file, section, map } = this.t;
    const batOffset = section.bat.fileOffset;
    const sectors = new Map<number, Uint8Array>();
    for (const [index, entry] of entries) {
      const sectorOffset = batOffset + Math.floor((index * 8) / SECTOR) * SECTOR;
      let bytes = sectors.get(sectorOffset);
      if (!bytes) sectors.set(sectorOffset, (bytes = await file.read(sectorOffset, SECTOR)));
      encodeBatEntry(entry, bytes, (index * 8) % SECTOR);
    }
    const header = section.header;
    const logOffset = Number(header.logOffset);
    const perEntry = maxUpdatesPerEntry(header.logLength);
    if (perEntry < 1 || logOffset < MIB) {
      throw vhdxCorrupt('VHDX_LOG_LOCATION', `VHDX log of ${header.logLength} bytes at ${logOffset} cannot hold a BAT update`, logOffset);
    }
    const updates: SectorUpdate[] = [...sectors].map(([fileOffset, data]) => ({ fileOffset, data }));
    for (let i = 0; i < updates.length; i += perEntry) {
      const batch = updates.slice(i, i + perEntry);
      this.logGuid ??= newGuid();
      this.sequence += 1n;
      const size = file.size;
      const entry = encodeLogEntry({
        sequenceNumber: this.sequence,
        logGuid: this.logGuid,
        tail: 0,
        flushedFileOffset: Math.floor(size / MIB) * MIB,
        lastFileOffset: Math.ceil(size / MIB) * MIB,
        updates: batch,
      });
      // Each entry stands alone at the log's start: the previous one was applied and flushed.
      await file.write(logOffset, entry);
      await file.flush();
      if (section.header.logGuid !== this.logGuid) await writeNextHeader(file, section, { logGuid: this.logGuid });
      for (const u of batch) await file.write(u.fileOffset, u.data);
      await file.flush();
    }
    map.invalidate();
  }

  /** Ends the log's use: LogGuid back to zero, so other readers see no pending log. */
  async flush(): Promise<void> {
    if (this.t.section.header.logGuid !== NULL_GUID_TEXT && this.logGuid) {
      await writeNextHeader(this.t.file, this.t.section, { logGuid: NULL_GUID_TEXT });
    }
    await this.t.file.flush();
  }
}
