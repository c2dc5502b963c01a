// The bin as CI scripts use it: exit codes for usage errors, unreadable configs and config
// problems, and a text report that never contains the token.
import { expect } from 'chai';
import { startDevIssuer, type DevIssuer } from '../../../dev/issuer';
import { DOCTOR_BIN, doctorBuilt, runDoctor, tempDir } from '../../02-integration/doctor/run-doctor';
import { execFile } from 'node:child_process';

describe('okta-jwt doctor: exit codes and output', function () {
  let dev: DevIssuer;
  let tmp: ReturnType<typeof tempDir>;

  before(async () => {
    if (!doctorBuilt()) throw new Error('the doctor is not built: npx tsc -p tsconfig.cli.json');
    dev = await startDevIssuer();
    tmp = tempDir();
  });
  after(async () => {
    tmp?.remove();
    await dev?.close();
  });

  it('exits 2 on a usage error and prints the usage to stderr', async () => {
    const run = await runDoctor(['--no-such-flag']);
    expect(run.code).to.equal(2);
    expect(run.stdout).to.equal('');
    expect(run.stderr).to.match(/Unknown option '--no-such-flag'[\s\S]*Exit codes: 0 every check passed/);
  });

  it('exits 2 without the doctor command, and 0 for --help', async () => {
    const bare = await new Promise<number | null>((resolve) => {
      const child = execFile(process.execPath, [DOCTOR_BIN], () => resolve(child.exitCode));
    });
    expect(bare).to.equal(2);
    expect((await runDoctor(['--help'])).code).to.equal(0);
  });

  it('exits 2 for a missing config file or a route that is not in it', async () => {
    expect((await runDoctor(['--config', `${tmp.dir}/none.yml`, '--route', 'r'])).code).to.equal(2);
    const file = tmp.file('kong.json', JSON.stringify({ _format_version: '3.0', services: [{ name: 's', routes: [{ name: 'r' }] }] }));
    const run = await runDoctor(['--config', file, '--route', 'other']);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/no route named "other"/);
  });

  it('exits 1 for a config Kong would refuse, naming the field', async () => {
    const run = await runDoctor(['--issuer', dev.issuer, '--audience', 'api://default', '--leeway', '3600', '--json']);
    expect(run.code).to.equal(1);
    const report = run.report();
    expect(report.verdict.kind).to.equal('config_refused');
    expect(report.explainedBy).to.deep.equal({ check: 'config.schema', field: 'leeway_seconds' });
  });

  it('exits 1 for a config Kong accepts but the plugin refuses when it first runs, naming the field', async () => {
    const run = await runDoctor(['--issuer', dev.issuer, '--audience', 'api://default', '--header', 'sub:X-User', '--header', 'cid:x-user', '--json']);
    expect(run.code).to.equal(1);
    expect(run.report().explainedBy).to.deep.equal({ check: 'config.startup', field: 'claims_to_headers[2].header' });
  });

  it('exits 1 for a claim mapped to a header Kong reserves, as Kong refuses it at config time', async () => {
    const run = await runDoctor(['--issuer', dev.issuer, '--audience', 'api://default', '--header', 'sub:Authorization', '--json']);
    expect(run.code).to.equal(1);
    expect(run.report().explainedBy).to.deep.equal({ check: 'config.schema', field: 'claims_to_headers[1].header' });
  });

  it('prints a text report with the token\'s SHA-256 prefix and never the token', async () => {
    const token = await dev.mint({ scp: ['profile'], sub: 'alice@example.com' });
    const run = await runDoctor(['--issuer', dev.issuer, '--audience', 'api://default', '--scope', 'orders:read', '--token-file', tmp.file('t', token)]);
    expect(run.code).to.equal(1);
    const { createHash } = await import('node:crypto');
    expect(run.stdout).to.include(`sha256 ${createHash('sha256').update(token).digest('hex').slice(0, 16)}`);
    for (const part of token.split('.')) expect(run.stdout).to.not.include(part);
    expect(run.stdout).to.match(/\[FAIL\] policy\.scopes +the token grants \["profile"\]; all of \["orders:read"\] required.*\(config: scopes_required\)/);
    expect(run.stdout).to.match(/verdict: refused: 403 scope_missing/);
    expect(run.stdout).to.match(/because: policy\.scopes — config field scopes_required\nexit 1\n$/);
  });
});
