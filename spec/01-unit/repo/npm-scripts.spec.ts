// Every npm script a user is told to run works on a fresh clone (no dist/): a script that runs
// built code either builds first or has a pre<script> hook that builds when dist/ is missing or stale.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../support/repo-paths';

const scripts = (JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const BUILDS_FIRST = /^(?:npm run build|tsc -p \S+|node scripts\/clean\.js && tsc)/;
/** What a script runs from the build: dist/… directly, or through bin/okta-jwt (dist/cli/…). */
const BUILT_CODE = /\bdist\/\S+\.js|\bbin\/okta-jwt\b/;

describe('npm scripts on a fresh clone', () => {
  it('build before running built code, or have a pre-hook that builds on demand', () => {
    const runsBuilt = Object.entries(scripts).filter(([name, cmd]) => !name.startsWith('pre') && BUILT_CODE.test(cmd));
    expect(runsBuilt.map(([name]) => name)).to.include.members(['token', 'doctor', 'start', 'bench']);
    for (const [name, cmd] of runsBuilt) {
      if (BUILDS_FIRST.test(cmd)) continue;
      expect(scripts[`pre${name}`], `npm run ${name} runs built code without building`).to.match(/^node scripts\/build-if-stale\.js \S+/);
    }
  });

  it("the pre-hooks name an output their script runs, so a missing one triggers the build", () => {
    for (const name of ['token', 'doctor']) {
      const output = scripts[`pre${name}`]!.split(' ')[2]!;
      const runs = scripts[name]!.includes('bin/okta-jwt') ? fs.readFileSync(path.join(repoRoot(), 'bin', 'okta-jwt'), 'utf8') : scripts[name]!;
      expect(runs.replace('../dist/', 'dist/'), name).to.contain(output);
    }
  });
});
