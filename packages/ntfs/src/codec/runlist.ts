/**
 * Runlists (mapping pairs): a byte header (low nibble: size of the cluster
 * count, high nibble: size of the signed LCN delta), the count, the delta; a
 * zero header ends the list. A delta size of 0 marks a sparse run.
 * (libfsntfs "Data runs"; ntfs-3g runlist.c ntfs_mapping_pairs_decompress.)
 *
 *   header | length (1-8 bytes, unsigned) | lcn delta (0-8 bytes, signed, from previous LCN)
 */
import { corrupt, limit, Limits } from '../errors.js';

export interface Run {
  /** First virtual cluster number of the run. */
  vcn: number;
  /** First logical cluster on the volume, or null for a sparse run (reads as zeros). */
  lcn: number | null;
  /** Length in clusters. */
  length: number;
}

function readUnsigned(bytes: Uint8Array, at: number, size: number): number {
  let value = 0;
  for (let i = size - 1; i >= 0; i--) value = value * 256 + bytes[at + i];
  return value;
}

function readSigned(bytes: Uint8Array, at: number, size: number): number {
  const unsigned = readUnsigned(bytes, at, size);
  return bytes[at + size - 1] & 0x80 ? unsigned - 2 ** (8 * size) : unsigned;
}

/**
 * Decodes mapping pairs starting at `startVcn` (the attribute's lowest VCN).
 * Throws CorruptError (NTFS_RUNLIST_*) on truncated pairs, zero-length runs,
 * negative LCNs or values beyond 2^53; `baseOffset` locates errors.
 */
export function decodeRunlist(bytes: Uint8Array, startVcn = 0, baseOffset?: number): Run[] {
  const runs: Run[] = [];
  let at = 0;
  let vcn = startVcn;
  let lcn = 0;
  while (at < bytes.length) {
    const header = bytes[at];
    if (header === 0) return runs;
    const lengthSize = header & 0x0f;
    const offsetSize = header >> 4;
    const where = baseOffset === undefined ? undefined : baseOffset + at;
    if (lengthSize === 0 || lengthSize > 8 || offsetSize > 8) {
      throw corrupt('NTFS_RUNLIST_HEADER', `runlist header 0x${header.toString(16)} has invalid field sizes`, where);
    }
    if (at + 1 + lengthSize + offsetSize > bytes.length) {
      throw corrupt('NTFS_RUNLIST_TRUNCATED', 'runlist runs past the end of its attribute', where);
    }
    const length = readUnsigned(bytes, at + 1, lengthSize);
    if (length <= 0 || !Number.isSafeInteger(length)) {
      throw corrupt('NTFS_RUNLIST_LENGTH', `run of ${length} clusters`, where);
    }
    let runLcn: number | null = null;
    if (offsetSize > 0) {
      lcn += readSigned(bytes, at + 1 + lengthSize, offsetSize);
      if (lcn < 0 || !Number.isSafeInteger(lcn)) throw corrupt('NTFS_RUNLIST_LCN', `run starts at LCN ${lcn}`, where);
      runLcn = lcn;
    }
    runs.push({ vcn, lcn: runLcn, length });
    if (runs.length > Limits.maxRuns) throw limit('NTFS_RUNLIST_TOO_MANY', `more than ${Limits.maxRuns} runs`, where);
    vcn += length;
    if (!Number.isSafeInteger(vcn)) throw corrupt('NTFS_RUNLIST_VCN', 'VCN overflow', where);
    at += 1 + lengthSize + offsetSize;
  }
  // No terminator inside the attribute: tolerated by Windows when the pairs fill it exactly.
  return runs;
}

function byteCount(value: number, signed: boolean): number {
  let n = 1;
  if (signed) {
    while (n < 8 && !(value >= -(2 ** (8 * n - 1)) && value < 2 ** (8 * n - 1))) n++;
  } else {
    while (n < 8 && value >= 2 ** (8 * n)) n++;
  }
  return n;
}

/** Encodes runs back to mapping pairs (with terminator), for the writer. */
export function encodeRunlist(runs: Run[]): Uint8Array {
  const out: number[] = [];
  let previous = 0;
  for (const run of runs) {
    const lengthSize = byteCount(run.length, false);
    const delta = run.lcn === null ? 0 : run.lcn - previous;
    const offsetSize = run.lcn === null ? 0 : byteCount(delta, true);
    out.push(lengthSize | (offsetSize << 4));
    let v = run.length;
    for (let i = 0; i < lengthSize; i++) {
      out.push(v % 256);
      v = Math.floor(v / 256);
    }
    let d = delta < 0 ? 2 ** (8 * offsetSize) + delta : delta;
    for (let i = 0; i < offsetSize; i++) {
      out.push(d % 256);
      d = Math.floor(d / 256);
    }
    if (run.lcn !== null) previous = run.lcn;
  }
  out.push(0);
  return Uint8Array.from(out);
}

/** Joins the runs of several extents (sorted by VCN) into one list. */
export function mergeRuns(extents: Run[][]): Run[] {
  return extents.flat().sort((a, b) => a.vcn - b.vcn);
}

/** Index of the run containing `vcn`, or -1. Runs must be sorted by VCN. */
export function findRun(runs: Run[], vcn: number): number {
  let lo = 0;
  let hi = runs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const run = runs[mid];
    if (vcn < run.vcn) hi = mid - 1;
    else if (vcn >= run.vcn + run.length) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/**
 * Maps a byte range of a stream onto volume byte ranges through its runs (sparse pieces give
 * `device` -1), for readers of raw pieces and for writers.
 * @throws CorruptError NTFS_RUNLIST_SHORT when the runs do not cover the range.
 */
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
    if (from > pos) break; // a hole in the runlist: reported below
    out.push({ device: run.lcn === null ? -1 : run.lcn * clusterSize + (from - runStart), length: to - from });
    pos = to;
    if (pos >= end) break;
  }
  if (pos < end) throw corrupt('NTFS_RUNLIST_SHORT', `runlist does not cover bytes [${pos}, ${end})`, undefined, { offset, length });
  return out;
}
