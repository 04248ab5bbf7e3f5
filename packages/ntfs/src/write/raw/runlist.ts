/**
 * Mapping-pairs (runlist) decoding for the write side: which clusters an
 * attribute extent claims. Sparse runs (no LCN field) claim none.
 *
 * References: NTFS documentation (Russon & Fledel, "Data runs"); ntfs-3g
 * runlist.c ntfs_mapping_pairs_decompress (read, not copied).
 */
import { CorruptError, LimitExceededError } from '@coldfix/io';

/** One run: `length` clusters starting at virtual cluster `vcn`; `lcn` null for a sparse run. */
export interface Run { vcn: number; lcn: number | null; length: number }

const MAX_RUNS = 1 << 20;

function readSigned(bytes: Uint8Array, at: number, size: number): number {
  if (size <= 6) {
    // Fits a double exactly: no BigInt (this runs for every run of every record the checker scans).
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + bytes[at + i];
    if (size > 0 && bytes[at + size - 1] & 0x80) v -= 2 ** (8 * size);
    return v;
  }
  let value = 0n;
  for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[at + i]);
  if (size > 0 && bytes[at + size - 1] & 0x80) value -= 1n << BigInt(8 * size);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new CorruptError('runlist value exceeds 2^53', { code: 'NTFS_RUNLIST_OVERFLOW', layer: 'ntfs-write', details: { at } });
  }
  return Number(value);
}

/**
 * Decodes the mapping pairs at `bytes[start..end)` beginning at `firstVcn`.
 * @throws CorruptError on a truncated pair or a negative LCN; LimitExceededError above 2^20 runs.
 */
export function decodeRunlist(bytes: Uint8Array, start: number, end: number, firstVcn: number): Run[] {
  const runs: Run[] = [];
  let at = start;
  let vcn = firstVcn;
  let lcn = 0;
  while (at < end && bytes[at] !== 0) {
    const header = bytes[at];
    const lengthSize = header & 0x0f;
    const offsetSize = header >> 4;
    if (lengthSize === 0 || lengthSize > 8 || offsetSize > 8 || at + 1 + lengthSize + offsetSize > end) {
      throw new CorruptError(`bad mapping pair header 0x${header.toString(16)}`, { code: 'NTFS_RUNLIST_BAD_PAIR', layer: 'ntfs-write', details: { at } });
    }
    const length = readSigned(bytes, at + 1, lengthSize);
    if (length <= 0) throw new CorruptError('run of non-positive length', { code: 'NTFS_RUNLIST_BAD_LENGTH', layer: 'ntfs-write', details: { at, length } });
    if (offsetSize === 0) {
      runs.push({ vcn, lcn: null, length });
    } else {
      lcn += readSigned(bytes, at + 1 + lengthSize, offsetSize);
      if (lcn < 0) throw new CorruptError('run with negative LCN', { code: 'NTFS_RUNLIST_NEGATIVE_LCN', layer: 'ntfs-write', details: { at, lcn } });
      runs.push({ vcn, lcn, length });
    }
    vcn += length;
    at += 1 + lengthSize + offsetSize;
    if (runs.length > MAX_RUNS) throw new LimitExceededError('more than 2^20 runs in one attribute', { code: 'NTFS_RUNLIST_TOO_LONG', layer: 'ntfs-write' });
  }
  return runs;
}

/** Maps a byte range of a stream onto device byte ranges through its runs (sparse pieces give offset -1). */
export function mapRange(runs: Run[], clusterSize: number, offset: number, length: number): { device: number; length: number }[] {
  const out: { device: number; length: number }[] = [];
  let pos = offset;
  const end = offset + length;
  for (const run of runs) {
    const runStart = run.vcn * clusterSize;
    const runEnd = runStart + run.length * clusterSize;
    if (runEnd <= pos || runStart >= end) continue;
    const from = Math.max(pos, runStart);
    const to = Math.min(end, runEnd);
    if (from > pos) break; // hole in the runlist: caller checks the total
    out.push({ device: run.lcn === null ? -1 : run.lcn * clusterSize + (from - runStart), length: to - from });
    pos = to;
    if (pos >= end) break;
  }
  if (pos < end) {
    throw new CorruptError(`runlist does not cover bytes [${pos}, ${end})`, { code: 'NTFS_RUNLIST_SHORT', layer: 'ntfs-write', details: { offset, length } });
  }
  return out;
}
