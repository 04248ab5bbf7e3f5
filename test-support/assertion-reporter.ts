/**
 * Assertion counter (vitest reporter, see vitest.config.ts): after the run prints how many passing tests
 * made 0 assertions (must be 0), and lists every skipped test with the reason in its title, so a skipped
 * check is reported as not made rather than counted as a pass.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class AssertionCounter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    const zero: string[] = [];
    const skipped: string[] = [];
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        const name = `${mod.relativeModuleId} > ${test.fullName}`;
        if (state === 'passed') {
          passed++;
          const calls = (test.meta() as Record<string, unknown>).assertionCalls;
          if (calls === 0) zero.push(name);
        } else if (state === 'skipped') {
          const note = (test.result() as { note?: string }).note;
          skipped.push(note ? `${name} (${note})` : name);
        }
      }
    }
    const out = [`\nassertion counter: ${passed} passed tests, ${zero.length} of them with 0 assertions, ${skipped.length} skipped`];
    for (const z of zero) out.push(`  0 assertions: ${z}`);
    for (const s of skipped) out.push(`  skipped: ${s}`);
    process.stdout.write(`${out.join('\n')}\n`);
  }
}
