import type { SerializedColdfixError } from '@coldfix/io';
import type { OpenImageOptions } from '@coldfix/volumes';
import type { RepairOptions, RepairReport, Rule } from '@coldfix/repair';

/** What a manifest line asks for one image. */
export type BatchAction = 'repair' | 'verify' | 'dry-run' | 'info';
export const BATCH_ACTIONS: readonly BatchAction[] = ['repair', 'verify', 'dry-run', 'info'];

/**
 * One image of a manifest. `keys` names a keys file (resolved by whoever runs the image, on its own
 * host): never a secret itself. Paths are absolute once the manifest is read.
 */
export interface ManifestEntry {
  image: string;
  action: BatchAction;
  keys?: string;
  partition?: number;
  output?: string;
  /** 1-based line of the manifest (0 for a scanned folder), for messages. */
  line: number;
}

/** Options every image of a batch shares; structured-cloneable and JSON-safe (they go into Redis). */
export interface SharedTaskOptions {
  rules: Rule[];
  onlyBad?: boolean;
  commit?: boolean;
  forceUncleanLog?: boolean;
  parentDirs?: string[];
  journalDir?: string;
  sectorSize?: 512 | 4096;
}

/** One unit of work handed to a worker (thread or queue worker). `keys` only ever crosses a thread boundary, never Redis. */
export interface BatchTask {
  key: string;
  entry: ManifestEntry;
  options: SharedTaskOptions;
  keys?: OpenImageOptions['keys'];
}

/** The outcome word of one image: a repair result, a verify result, `info`, or `error`. */
export type ImageResult = RepairReport['result'] | 'inconsistent' | 'info' | 'error';

/**
 * One line of the results file: one finished image. `final` lines are skipped by `--resume`; an
 * internal or I/O error is not final (a retry may succeed).
 */
export interface ResultLine {
  key: string;
  image: string;
  action: BatchAction;
  result: ImageResult;
  final: boolean;
  /** The full report (repair, verify or info), without secrets. */
  report?: unknown;
  error?: SerializedColdfixError | { kind: 'internal'; name: string; message: string };
  /** The key of the image as this work left it (a repair changes its mtime): `--resume` skips either. */
  keyAfter?: string;
  /** An unfinished journal a dead worker left, rolled back before this run (its path). */
  rolledBack?: string;
  /** Seconds per repair phase (open, scan, baseline, gates, quarantine, delete, complete, verify, …). */
  phases?: Record<string, number>;
  bytesRead: number;
  seconds: number;
  worker: string;
  finishedAt: string;
}

export type { RepairOptions, RepairReport };
