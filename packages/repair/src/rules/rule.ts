/**
 * A repair rule: which files to act on and what to do with them.
 *
 * Paths are Windows paths. `%SystemRoot%\` (or `%WINDIR%\`) at the start means
 * "inside each Windows installation found on the volume"; otherwise the path is
 * from the volume root. `*` and `?` are Windows wildcards, allowed in any
 * component, compared case-insensitively through the volume's $UpCase table.
 */
export type RuleAction = 'quarantine' | 'delete' | 'report';
export type Classification = 'bad' | 'good' | 'unknown';

export interface TimeWindow {
  /** Inclusive start, ISO 8601 UTC. */
  from?: string;
  /** Exclusive end, ISO 8601 UTC. */
  to?: string;
}

export interface Rule {
  id: string;
  description?: string;
  path: string;
  /** Only files whose $STANDARD_INFORMATION last-write time lies in this window match. */
  lastWrite?: TimeWindow;
  size?: { min?: number; max?: number };
  /** Only files whose unnamed-stream SHA-256 is in this list match (lowercase hex). */
  sha256?: string[];
  /** Only files whose first bytes equal this hex string match. */
  header?: string;
  /** How matches are classified by last-write time; a file in no window is `unknown`. */
  classify?: { bad?: TimeWindow; good?: TimeWindow };
  /** Header bytes reported (not required) for each match, e.g. the channel-file magic. */
  reportHeader?: string;
  action: RuleAction;
}

/**
 * The built-in rule for the 19 July 2024 CrowdStrike Falcon channel file 291.
 * Bad versions were written from 04:09 UTC; the fixed file was published at 05:27 UTC.
 * Sources: CrowdStrike's technical details of 2024-07-20 and Microsoft's recovery KB5042421.
 */
export const crowdstrike291: Rule = {
  id: 'crowdstrike-291',
  description: 'CrowdStrike Falcon channel file 291 (19 July 2024 boot loop)',
  path: '%SystemRoot%\\System32\\drivers\\CrowdStrike\\C-00000291*.sys',
  classify: {
    bad: { from: '2024-07-19T04:09:00Z', to: '2024-07-19T05:27:00Z' },
    good: { from: '2024-07-19T05:27:00Z' },
  },
  reportHeader: 'aaaaaaaa01002301',
  action: 'quarantine',
};

export const builtinRules: Record<string, Rule> = { [crowdstrike291.id]: crowdstrike291 };

/** FILETIME (100-ns ticks since 1601) for an ISO instant. */
export function filetimeOf(iso: string): bigint {
  const ms = Date.parse(iso);
  return BigInt(ms) * 10_000n + 116_444_736_000_000_000n;
}

export function inWindow(filetime: bigint, window: TimeWindow | undefined): boolean {
  if (!window) return true;
  if (window.from !== undefined && filetime < filetimeOf(window.from)) return false;
  if (window.to !== undefined && filetime >= filetimeOf(window.to)) return false;
  return true;
}

export function classify(rule: Rule, lastWrite: bigint): Classification {
  if (!rule.classify) return 'unknown';
  if (rule.classify.bad && inWindow(lastWrite, rule.classify.bad)) return 'bad';
  if (rule.classify.good && inWindow(lastWrite, rule.classify.good)) return 'good';
  return 'unknown';
}
