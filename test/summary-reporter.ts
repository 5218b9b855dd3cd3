// Prints, last in CI logs, the slowest tests (where the suite's time goes) and one plain
// closing line: `tests: N passed, N failed, N skipped`.
import type { Reporter, TestModule } from 'vitest/node';

/** How many of the slowest tests to list. */
const SLOWEST = 15;

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const times: Array<{ name: string; ms: number }> = [];
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        const ms = t.diagnostic()?.duration;
        if (ms !== undefined) times.push({ name: `${m.moduleId.replace(process.cwd() + '/', '')} > ${t.fullName}`, ms });
        if (s === 'passed') passed++;
        else if (s === 'failed') failed++;
        else skipped++;
      }
      // A file that failed to load has no tests to count but failed all the same.
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++;
    }
    // Last in the log: after the default reporter's summary (stdout to a pipe or file is synchronous on Linux).
    const slowest = times.sort((a, b) => b.ms - a.ms).slice(0, SLOWEST);
    const lines = slowest.map((t) => `${(t.ms / 1000).toFixed(1).padStart(7)} s  ${t.name}`);
    const head = lines.length > 1 ? `\nslowest tests:\n${lines.join('\n')}\n` : '';
    process.once('exit', () => process.stdout.write(`${head}\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`));
  }
}
