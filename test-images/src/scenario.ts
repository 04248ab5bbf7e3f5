/**
 * What a scenario generator is: a named, versioned build step with parameters and dependencies,
 * producing one image and its facts in a fresh folder.
 */
import type { CatalogEntry } from './catalog.js';

/** What a scenario's build step gets. */
export interface BuildContext {
  /** Empty folder that becomes `cache/<name>/` on success. */
  outDir: string;
  /** Scratch folder, removed after the build. */
  tmpDir: string;
  /** A unique, not yet existing mount point path under the cache folder. */
  mountPoint(label: string): string;
  /** Entries of the dependencies (absolute paths). */
  dep(name: string): CatalogEntry;
  log(message: string): void;
}

/** The part of a catalog entry a build step fills in (the builder adds name, key, timing). */
export type BuildResult = Omit<CatalogEntry, 'name' | 'key' | 'buildMs' | 'createdAt' | 'description'>;

/** One scenario of the catalog. */
export interface Scenario {
  name: string;
  description: string;
  /** Bump when the generator's output changes: it is part of the cache key. */
  version: number;
  params: Record<string, unknown>;
  deps: string[];
  /** Benchmark-only: built with `--bench` or when asked by name. */
  bench?: boolean;
  build(ctx: BuildContext): Promise<BuildResult>;
}
