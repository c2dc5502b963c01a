// `npm run test:suites` (what `npm test` runs after building): the mocha runs below, in order, each
// with its own output. Each run ends with its own line, "tests (<run>): N passed, N failed, N skipped";
// the last line printed is the sum over every run, "tests: N passed, N failed, N skipped", which is
// what .ci/run and a reader take for the whole result. Every run runs even when an earlier one failed;
// the exit code is non-zero when any run failed or did not complete (counted as one failure).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.join(__dirname, '..');

/** The runs of the whole suite, in order. A new environment is one more entry. */
const RUNS = [
  { name: 'okta-jwt-pluginserver', env: {}, specs: 'dist/test/spec/**/*.spec.js' },
  // The plugin on kong-pdk's stock server: every integration spec that runs okta-jwt through a gateway
  // (those of plugin-server/ start okta-jwt-pluginserver themselves, and the doctor's judge the doctor).
  { name: 'stock kong-js-pluginserver', env: { OKTA_JWT_PLUGIN_SERVER: 'stock' }, specs: 'dist/test/spec/02-integration/{okta-jwt,kong-double,kong-double-replay,local-gateway,shared-state,revocation-cluster}/**/*.spec.js' },
  { name: 'DB mode', env: { KONG_DATABASE: 'postgres' }, specs: 'dist/test/spec/02-integration/okta-jwt/**/*.spec.js' },
];

const line = (label, c) => `${label}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;

/** One mocha run; resolves with its counts (from spec/support/summary-reporter.js) and exit code. */
function runMocha(run, summaryFile) {
  return new Promise((resolve) => {
    const args = [require.resolve('mocha/bin/mocha.js', { paths: [root] }), '--reporter-option', `label=${run.name},summaryFile=${summaryFile}`, run.specs];
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...run.env } });
    child.on('close', (code, signal) => {
      let counts = null;
      try {
        counts = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
      } catch {
        // no summary: mocha stopped before the end of its run
      }
      resolve({ code: code ?? signal, counts });
    });
  });
}

/** Runs each of `runs` in order and prints the per-run lines, then the total; resolves with the exit code. */
async function runAll(runs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-jwt-suites-'));
  const results = [];
  try {
    for (const [i, run] of runs.entries()) {
      console.log(`\n== run ${i + 1}/${runs.length}: ${run.name} (${run.specs})`);
      results.push({ run, ...(await runMocha(run, path.join(dir, `run-${i + 1}.json`))) });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const total = { passed: 0, failed: 0, skipped: 0 };
  console.log('');
  for (const { run, code, counts } of results) {
    if (counts === null) {
      console.log(`tests (${run.name}): did not complete (mocha exit ${code}), counted as 1 failed`);
      total.failed += 1;
      continue;
    }
    console.log(line(`tests (${run.name})`, counts));
    for (const key of Object.keys(total)) total[key] += counts[key];
  }
  console.log(line('tests', total));
  const failed = total.failed > 0 || results.some((r) => r.code !== 0);
  return failed ? 1 : 0;
}

module.exports = { RUNS, runAll };

if (require.main === module) runAll(RUNS).then((code) => process.exit(code));
