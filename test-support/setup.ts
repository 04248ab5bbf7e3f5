/**
 * Vitest setup (vitest.config.ts `setupFiles`): records each test's assertion count in its task meta for
 * the assertion-counter reporter. `expect.requireAssertions` (in the config) already fails a test with none.
 */
import { afterEach, expect } from 'vitest';

afterEach((ctx) => {
  // A test that used its local `ctx.expect` counts there; reading `ctx.expect` otherwise would create one.
  const local = (ctx as unknown as { _local?: boolean })._local === true;
  const calls = (local ? ctx.expect.getState() : expect.getState()).assertionCalls;
  (ctx.task.meta as Record<string, unknown>).assertionCalls = calls;
});
