// What `npm run bench` leaves behind and prints: results in an untracked folder unless asked, and
// the comparison verifier's HTTPS warning labelled as the comparison's.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { newOktaVerifier } from '../../bench/okta-verifier';
import { resultsDir } from '../../bench/results';
import { repoRoot } from '../support/repo-paths';

describe('npm run bench: output', () => {
  const root = repoRoot();

  it('writes to the untracked bench/out/ by default, the committed bench/results/ only when asked', () => {
    expect(resultsDir(root, [], {})).to.equal(path.join(root, 'bench', 'out'));
    expect(resultsDir(root, ['--update-results'], {})).to.equal(path.join(root, 'bench', 'results'));
    expect(resultsDir(root, [], { BENCH_OUT: '/tmp/b' })).to.equal('/tmp/b');
    expect(fs.readFileSync(path.join(root, '.gitignore'), 'utf8').split('\n')).to.include('bench/out/');
  });

  it("labels @okta/jwt-verifier's HTTPS warning as the comparison verifier's", () => {
    const warn = console.warn;
    const printed: string[] = [];
    console.warn = (...args: unknown[]) => void printed.push(args.join(' '));
    try {
      newOktaVerifier('http://127.0.0.1:9/oauth2/default');
    } finally {
      console.warn = warn;
    }
    expect(printed).to.have.length(1);
    expect(printed[0]).to.match(/^\[bench\] the comparison verifier \(@okta\/jwt-verifier, case d, local http issuer\): Warning: HTTPS check is disabled/);
  });
});
