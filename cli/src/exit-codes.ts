/** Process exit codes; documented in docs/cli.md. */
export const ExitCode = {
  ok: 0,
  internal: 1,
  badInput: 2,
  affected: 3,
  refused: 4,
  inconsistent: 5,
  /** An answer with parts left out (records, index blocks, directories unreadable: warnings on stderr); for verify/repair, not verified. */
  incomplete: 6,
  /** batch: stopped by SIGINT/SIGTERM before every image ran, nothing worse seen; rerun with --resume. */
  interrupted: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
