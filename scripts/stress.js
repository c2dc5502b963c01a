// `npm run test:stress [-- N]`: runs the whole suite (`npm run test:suites`, what `npm test` runs
// after building) N times in a row (default 10, or STRESS_RUNS) while one busy-loop process per core
// competes for the CPU, and stops at the first failing run. A test that fails only under load is a
// real bug: this is how to find it before CI does. Each run's full output goes to a log file; the
// summary lines and the shuffle seeds of every run are printed here, so a failing order can be run
// again with TEST_SEED=<seed>.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.join(__dirname, '..');
const runs = Number(process.argv[2] ?? process.env.STRESS_RUNS ?? 10);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`usage: npm run test:stress [-- <runs>] (a positive integer; got ${process.argv[2] ?? process.env.STRESS_RUNS})`);
  process.exit(2);
}

/** One busy loop per core, for as long as the runs last. */
function startLoad() {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Array.from({ length: cores }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

function stopLoad(load) {
  for (const child of load) if (child.exitCode === null) child.kill('SIGKILL');
}

/** One run of the suites; resolves with its exit code, summary lines and seeds once it ended. */
function runSuites(logFile) {
  return new Promise((resolve) => {
    const log = fs.openSync(logFile, 'w');
    const child = spawn('npm', ['run', '--silent', 'test:suites'], { cwd: root, stdio: ['ignore', log, log] });
    child.on('close', (code) => {
      fs.closeSync(log);
      const all = fs.readFileSync(logFile, 'utf8');
      resolve({
        code,
        summaries: [...new Set(all.match(/^tests(?: \([^)\n]*\))?: .*$/gm) ?? [])],
        total: all.match(/^tests: \d+ passed, 0 failed, \d+ skipped$/m) !== null,
        seeds: [...all.matchAll(/re-run this order with TEST_SEED=(\d+)\)/g)].map((m) => m[1]).filter((s, i, a) => a.indexOf(s) === i),
      });
    });
  });
}

async function main() {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-jwt-stress-'));
  const load = startLoad();
  const stop = () => {
    stopLoad(load);
    process.exit(130);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  console.log(`test:stress: ${runs} runs of the whole suite beside ${load.length} busy-loop processes; logs in ${logDir}`);
  let passed = 0;
  try {
    for (let run = 1; run <= runs; run++) {
      const started = Date.now();
      const logFile = path.join(logDir, `run-${run}.log`);
      const result = await runSuites(logFile);
      const minutes = ((Date.now() - started) / 60000).toFixed(1);
      const ok = result.code === 0 && result.total;
      console.log(`run ${run}: ${ok ? 'passed' : 'FAILED'} in ${minutes} min; seeds ${result.seeds.join(', ') || '(none printed)'}`);
      for (const line of result.summaries) console.log(`  ${line}`);
      if (!ok) {
        console.log(`  the failing run's output: ${logFile} (re-run one stage's order with TEST_SEED=<its seed>)`);
        break;
      }
      passed++;
    }
  } finally {
    stopLoad(load);
  }
  console.log(`test:stress: ${passed} run(s) in a row passed out of ${runs} asked`);
  process.exit(passed === runs ? 0 : 1);
}

main();
