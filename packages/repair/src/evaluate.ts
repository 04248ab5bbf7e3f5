/**
 * Evaluates a path hit against a rule's filters and classifies it: reads the
 * record ($STANDARD_INFORMATION times) and streams the unnamed $DATA once for
 * its SHA-256 and header bytes.
 */
import { createHash } from 'node:crypto';
import { forEachChunk } from '@coldfix/io';
import { filetimeToIso, standardInformation, type NtfsVolume } from '@coldfix/ntfs';
import type { PathHit } from './find-matches.js';
import { classify, inWindow, type Classification, type Rule, type RuleAction } from './rules/rule.js';

export interface Match {
  rule: string;
  /** Backslash path from the volume root. */
  path: string;
  record: number;
  sequence: number;
  parentRecord: number;
  size: number;
  sha256: string;
  /** $STANDARD_INFORMATION last-write time (ISO 8601 UTC, 100-ns digits). */
  modified: string;
  /** Last-write time cached in the parent directory's index entry. */
  indexModified: string;
  /** Hex of the first 8 bytes. */
  header: string;
  /** Whether the first bytes equal the rule's reportHeader (the channel-file magic for crowdstrike-291). */
  headerMatches: boolean | null;
  classification: Classification;
  /** What will be (or was) done: the rule's action, or `none` when filtered out by --only-bad. */
  action: RuleAction | 'none';
  quarantinePath: string | null;
}

const headerBytes = 8;

/** Returns the match, or null when a filter (last write, size, hash, header) rules it out. */
export async function evaluateHit(volume: NtfsVolume, rule: Rule, hit: PathHit, onlyBad: boolean): Promise<Match | null> {
  const record = await volume.readRecord(hit.recordNumber);
  const si = standardInformation(record);
  const lastWrite = si?.modified ?? 0n;
  if (rule.lastWrite && !inWindow(lastWrite, rule.lastWrite)) return null;
  const stream = await volume.openStream(hit.recordNumber);
  if (rule.size?.min !== undefined && stream.size < rule.size.min) return null;
  if (rule.size?.max !== undefined && stream.size > rule.size.max) return null;
  // One pass over the content gives both the hash and the prefix the header checks need.
  const prefixLength = Math.max(headerBytes, (rule.header?.length ?? 0) / 2, (rule.reportHeader?.length ?? 0) / 2);
  const hash = createHash('sha256');
  let prefix: Uint8Array = new Uint8Array(0);
  await forEachChunk(stream, (chunk) => {
    if (prefix.length < prefixLength) prefix = concat(prefix, chunk.subarray(0, prefixLength - prefix.length));
    hash.update(chunk);
  }, 1 << 20);
  const sha256 = hash.digest('hex');
  if (rule.sha256 && !rule.sha256.map((h) => h.toLowerCase()).includes(sha256)) return null;
  const prefixHex = Buffer.from(prefix).toString('hex');
  const startsWith = (hex: string) => prefixHex.startsWith(hex.toLowerCase());
  if (rule.header && !startsWith(rule.header)) return null;
  const headHex = prefixHex.slice(0, headerBytes * 2);
  const classification = classify(rule, lastWrite);
  const acts = !onlyBad || classification === 'bad';
  return {
    rule: rule.id,
    path: hit.path,
    record: hit.recordNumber,
    sequence: hit.sequence,
    parentRecord: hit.parentRecordNumber,
    size: stream.size,
    sha256,
    modified: filetimeToIso(lastWrite),
    indexModified: filetimeToIso(hit.indexModified),
    header: headHex,
    headerMatches: rule.reportHeader ? startsWith(rule.reportHeader) : null,
    classification,
    action: acts ? rule.action : 'none',
    quarantinePath: null,
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
