export * from './types.js';
export { readManifest, parseManifest, scanDirectory, MAX_MANIFEST_BYTES, MAX_MANIFEST_LINES } from './manifest.js';
export { idempotencyKey, digestOptions } from './identity.js';
export { readResults, ResultsWriter, type ReadResults } from './results.js';
export { parseShard, shardFromIndex, inShard, type Shard } from './shard.js';
export { planBatch, findSharedParents, type PlannedEntry, type PlanOptions } from './plan.js';
export { runLocal, type LocalRunOptions, type LocalRunSummary } from './pool.js';
export { runTask, workerName } from './run-task.js';
export { summarise, type BatchSummary } from './summary.js';
