// docs/troubleshooting.md and docs/doctor.md keep up with the code: one section and one table row per
// ReasonCode (read from plugin/vocabulary/decision.ts), the doctor's checklist complete, and every doctor
// check they name one the doctor has.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../../support/repo-paths';

const read = (file: string) => fs.readFileSync(path.join(repoRoot(), file), 'utf8');

function reasonCodes(): string[] {
  const source = read('plugin/vocabulary/decision.ts');
  const union = /export type ReasonCode =([^;]+);/.exec(source)?.[1] ?? '';
  return [...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
}

describe('docs/troubleshooting.md', () => {
  const doc = read('docs/troubleshooting.md');

  it('has a section and a table row for every reason code, in the order of ReasonCode', () => {
    const codes = reasonCodes();
    expect(codes).to.include.members(['token_missing', 'bad_signature', 'keys_unavailable']);
    const sections = [...doc.matchAll(/^### ([a-z_]+)$/gm)].map((m) => m[1]);
    expect(sections).to.deep.equal(codes);
    for (const code of codes) expect(doc, code).to.include(`| [\`${code}\`](#${code}) |`);
  });

  it('docs/doctor.md lists every check the doctor reports in its checklist', () => {
    const sources = ['cli/doctor.ts', 'cli/issuer-probe.ts', 'cli/token-checks.ts', 'cli/revocation-coverage.ts'].map(read).join('\n');
    const reported = new Set([...sources.matchAll(/['`]((?:config|issuer|request|token|header|claims|client|policy|consumer)\.[a-z_]+)(?:'|`|\$\{)/g)].map((m) => m[1]));
    expect(reported).to.include.members(['token.binding', 'issuer.discovery', 'config.schema']);
    const checklist = /^The checks, in the plugin's order: ([\s\S]+?)\n\n/m.exec(read('docs/doctor.md'))?.[1] ?? '';
    for (const id of reported) expect(checklist, id).to.include(`\`${id}\``);
  });

  it('shows the refusal log line with the fields the plugin logs, in its order, as docs/operations.md does', () => {
    const access = read('plugin/handler/access.ts');
    const body = /function reportRefusal[\s\S]+?\n\}/.exec(access)?.[0] ?? '';
    const logged = [...body.matchAll(/`(\w+)=\$\{/g)].map((m) => m[1]);
    expect(logged).to.include.members(['status', 'reason', 'route', 'service', 'token_sha256']);
    for (const [file, text] of [['docs/troubleshooting.md', doc], ['docs/operations.md', read('docs/operations.md')]]) {
      const lines = text.split('\n').filter((l) => l.trim().startsWith('okta-jwt refused the request: '));
      expect(lines, file).to.have.length(1);
      expect([...lines[0]!.matchAll(/ (\w+)=/g)].map((m) => m[1]), file).to.deep.equal(logged);
    }
  });

  it('names only checks the doctor reports', () => {
    const sources = ['cli/doctor.ts', 'cli/issuer-probe.ts', 'cli/token-checks.ts', 'cli/revocation-coverage.ts'].map(read).join('\n');
    const named = new Set([...(doc + read('docs/doctor.md')).matchAll(/`((?:config|issuer|request|token|header|claims|client|policy|consumer)\.[a-z_]+)`/g)].map((m) => m[1]));
    expect(named.size).to.be.greaterThan(20);
    // Ids appear as string literals, or as the start of a template literal (issuer checks carry a suffix).
    for (const id of named) expect(sources.includes(`'${id}'`) || sources.includes(`\`${id}\${`), id).to.equal(true);
  });
});
