'use strict';
// Mocha's spec reporter plus one closing line: "tests: N passed, N failed, N skipped", counted from
// the runner's own events, so it reflects the real run. Reporter options (scripts/test-suites.js):
// `label=<run>` prints "tests (<run>): …" instead, so only the grand total of several runs reads
// "tests: …"; `summaryFile=<path>` also writes the counts there as JSON.
const fs = require('node:fs');
const Mocha = require('mocha');
const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const { label, summaryFile } = options.reporterOption ?? options.reporterOptions ?? {};
    const counts = { passed: 0, failed: 0, skipped: 0 };
    runner.on(EVENT_TEST_PASS, () => counts.passed++);
    runner.on(EVENT_TEST_FAIL, () => counts.failed++);
    runner.on(EVENT_TEST_PENDING, () => counts.skipped++);
    runner.once(EVENT_RUN_END, () => {
      if (summaryFile) fs.writeFileSync(summaryFile, JSON.stringify(counts));
      const name = label ? `tests (${label})` : 'tests';
      process.stdout.write(`${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
    });
  }
}
module.exports = SummaryReporter;
