/** Test-only helpers shared by every package's tests (alias `@coldfix/test-support`; see docs/testing.md). */
export * from './oracle.js';
export * from './fixture-cache.js';
export * from './publish.js';
export * from './catalog.js';
