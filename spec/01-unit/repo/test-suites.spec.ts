// `npm test` runs several mocha runs (scripts/test-suites.js); its last line must be the total over
// all of them, in the form CI reads, and a failed or unfinished run must fail the whole.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../support/repo-paths';

const ROOT = repoRoot();
const PASSING = 'dist/test/spec/01-unit/repo/npm-scripts.spec.js';

/** Runs scripts/test-suites.js's runAll on these runs in a child process; its output and exit code. */
function runSuites(runs: { name: string; env: Record<string, string>; specs: string }[]) {
  const script = `require(${JSON.stringify(path.join(ROOT, 'scripts', 'test-suites.js'))}).runAll(${JSON.stringify(runs)}).then((c) => process.exit(c))`;
  const child = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
  const lines = child.stdout.trim().split('\n');
  return { code: child.status, lines, last: lines[lines.length - 1] };
}

describe('npm test: the grand total', () => {
  it('keeps the runs of the whole suite in one list, the hardened server first', () => {
    const { RUNS } = require(path.join(ROOT, 'scripts', 'test-suites.js')) as { RUNS: { name: string; env: Record<string, string>; specs: string }[] };
    expect(RUNS.map((r) => r.env)).to.deep.include.members([{}, { OKTA_JWT_PLUGIN_SERVER: 'stock' }, { KONG_DATABASE: 'postgres' }]);
    expect(RUNS[0]!.specs).to.equal('dist/test/spec/**/*.spec.js');
  });

  it('prints a line per run, then the sum over every run as the last line, the only "tests: …" line', () => {
    const { code, lines, last } = runSuites([
      { name: 'first', env: {}, specs: PASSING },
      { name: 'second', env: {}, specs: PASSING },
    ]);
    expect(code).to.equal(0);
    expect(lines).to.include.members(['tests (first): 2 passed, 0 failed, 0 skipped', 'tests (second): 2 passed, 0 failed, 0 skipped']);
    expect(last).to.equal('tests: 4 passed, 0 failed, 0 skipped');
    expect(lines.filter((l) => /^tests: \d+ passed, \d+ failed, \d+ skipped$/.test(l))).to.deep.equal([last]);
  });

  it('runs every run after a failed one, counts a run that did not finish as a failure and exits non-zero', () => {
    const { code, lines, last } = runSuites([
      { name: 'broken', env: {}, specs: 'dist/test/spec/no-such-dir/*.spec.js' },
      { name: 'after', env: {}, specs: PASSING },
    ]);
    expect(code).to.equal(1);
    expect(lines).to.include('tests (after): 2 passed, 0 failed, 0 skipped');
    expect(last).to.equal('tests: 2 passed, 1 failed, 0 skipped');
  });
});
