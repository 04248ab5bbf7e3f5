/**
 * FILETIME: 100-nanosecond intervals since 1601-01-01 UTC, kept as bigint so no
 * precision is lost (MS-DTYP 2.3.3). ISO strings carry all 7 fractional digits.
 */
const EPOCH_DIFF = 116444736000000000n; // 100-ns ticks from 1601 to 1970
const TICKS_PER_SECOND = 10000000n;

/** `2023-06-23T02:16:17.9724723Z`; null when the value is outside what Date can show. */
export function filetimeToIso(filetime: bigint): string {
  const unixTicks = filetime - EPOCH_DIFF;
  let seconds = unixTicks / TICKS_PER_SECOND;
  let fraction = unixTicks % TICKS_PER_SECOND;
  if (fraction < 0n) {
    fraction += TICKS_PER_SECOND;
    seconds -= 1n;
  }
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) return `invalid-filetime-${filetime}`;
  // toISOString gives "YYYY-MM-DDTHH:MM:SS.mmmZ" (or a 6-digit signed year): keep up to the seconds.
  const iso = date.toISOString();
  return `${iso.slice(0, iso.length - 5)}.${String(Number(fraction)).padStart(7, '0')}Z`;
}

/** Seconds since the Unix epoch (floored), as mactime body files want. */
export function filetimeToUnixSeconds(filetime: bigint): number {
  const unixTicks = filetime - EPOCH_DIFF;
  let seconds = unixTicks / TICKS_PER_SECOND;
  if (unixTicks % TICKS_PER_SECOND < 0n) seconds -= 1n;
  return Number(seconds);
}
