export * from './types.js';
export { runBatch, type BatchOptions } from './pool.js';
