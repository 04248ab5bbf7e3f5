/**
 * VHDX BAT entries (64-bit, little-endian): state in bits 0–2, FileOffsetMB in
 * bits 20–63; and the interleaving of payload and sector bitmap entries:
 *
 *   BAT: [P0 P1 … P(r-1) SB0] [Pr … P(2r-1) SB1] …      r = chunk ratio
 *   index(payload block b)       = b + floor(b / r)
 *   index(sector bitmap block c) = c * (r + 1) + r
 *
 * References: MS-VHDX §2.5 "BAT", §2.5.1 "BAT Entry"; libyal libvhdi VHDX format §7.
 */
export const PayloadState = {
  notPresent: 0,
  undefined: 1,
  zero: 2,
  unmapped: 3,
  fullyPresent: 6,
  partiallyPresent: 7,
} as const;
export type PayloadStateValue = (typeof PayloadState)[keyof typeof PayloadState];

export const SectorBitmapState = { notPresent: 0, present: 6 } as const;

export const PAYLOAD_STATE_NAMES: Record<number, string> = {
  0: 'not present',
  1: 'undefined',
  2: 'zero',
  3: 'unmapped',
  6: 'fully present',
  7: 'partially present',
};

export interface BatEntry {
  state: number;
  /** Bytes (FileOffsetMB × 1 MiB). */
  fileOffset: number;
}

/** Decodes the entry at byte `at` of `bytes`. */
export function decodeBatEntry(bytes: Uint8Array, at: number): BatEntry {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, 8);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  // FileOffsetMB has 44 bits: 12 from the low word, 32 from the high; × 2^20 stays below 2^64,
  // and values past 2^53 bytes are far past any file (the caller bounds them by the file size).
  const mb = (lo >>> 20) + hi * 4096;
  return { state: lo & 7, fileOffset: mb * 1024 * 1024 };
}

/** Encodes an entry (for writers and tests). */
export function encodeBatEntry(entry: BatEntry, bytes: Uint8Array, at: number): void {
  const mb = Math.floor(entry.fileOffset / (1024 * 1024));
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, 8);
  view.setUint32(0, ((mb % 4096) * 0x100000 + (entry.state & 7)) >>> 0, true);
  view.setUint32(4, Math.floor(mb / 4096), true);
}

export function payloadBatIndex(block: number, chunkRatio: number): number {
  return block + Math.floor(block / chunkRatio);
}

export function sectorBitmapBatIndex(chunk: number, chunkRatio: number): number {
  return chunk * (chunkRatio + 1) + chunkRatio;
}
