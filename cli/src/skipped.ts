/**
 * Never silent: what a listing, `cat` or `timeline` had to leave out (NtfsVolume.skipped: records,
 * INDX blocks, directories it could not read) is told on stderr, one warning line each, and makes the
 * answer incomplete (exit 6, docs/cli.md).
 */
import type { NtfsVolume } from '@coldfix/ntfs';

/** Writes one `coldfix: warning: …` line per item skipped since `since` (a skippedCount); returns how many. */
export function warnSkipped(volume: NtfsVolume, since: number): number {
  const count = volume.skippedCount - since;
  if (count <= 0) return 0;
  const shown = volume.skipped.slice(since);
  for (const item of shown) process.stderr.write(`coldfix: warning: skipped ${item.kind} (record ${item.record}): ${item.message}\n`);
  if (shown.length < count) process.stderr.write(`coldfix: warning: ${count - shown.length} more skipped item(s) not shown\n`);
  process.stderr.write(`coldfix: incomplete: ${count} item(s) could not be read and are missing from the answer\n`);
  return count;
}

/** The `--json` trailer of an incomplete NDJSON listing. */
export function skippedJsonLine(volume: NtfsVolume, since: number): string {
  const items = volume.skipped.slice(since).map((i) => ({ kind: i.kind, record: i.record, message: i.message }));
  return `${JSON.stringify({ incomplete: true, skipped: volume.skippedCount - since, items })}\n`;
}
