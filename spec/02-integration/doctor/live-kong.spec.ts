// `okta-jwt doctor --admin-url` reading the okta-jwt configs of a running gateway (the Kong double in
// the mode KONG_DATABASE names, or a real Kong under `npm run test:kong`): the config that applies
// to a route or service is found as Kong finds it (route, else service, else global), every page of
// the Admin API's lists is read, and the live answer equals the doctor's answer for the same
// kong.yml and the plugin's own answer. Saved `GET /plugins` output is read as a config file.
import { expect } from 'chai';
import { stringify } from 'yaml';
import { send } from '../../support/http-client';
import { kongYml, oktaJwtConfig, guardPlugins } from '../../support/kong-config';
import { useConfig } from '../../support/apply-config';
import { doctorSuite, runDoctor, type DoctorReport } from './run-doctor';

/** A report's checks without the Kong node's own (which only the live run has). */
const configChecks = (report: DoctorReport) => report.checks.filter((c) => !c.id.startsWith('kong.')).map((c) => `${c.id} ${c.status} ${c.field}`);

const failingConfigChecks = (report: DoctorReport) => configChecks(report).filter((c) => c.includes(' fail '));

describe('okta-jwt doctor reads a live Kong\'s okta-jwt configs (--admin-url)', function () {
  this.timeout(120000);
  const suite = doctorSuite();

  /** The service "echo" carries okta-jwt wanting orders:read; its route "protected" overrides it with orders:write. */
  function scopedConfig(): Record<string, unknown> {
    const config = kongYml(suite.gw, { scope: 'service', guard: true });
    const service = (config.services as Array<Record<string, unknown>>)[0]!;
    const routes = service.routes as Array<Record<string, unknown>>;
    routes[0]!.plugins = [{ name: 'okta-jwt', config: oktaJwtConfig(suite.gw, { fail_closed_guard: true, scopes_required: ['orders:write'] }) }, ...guardPlugins()];
    return config;
  }

  it('judges a token with the config that applies to the route, as the same kong.yml and the plugin do', async () => {
    const config = scopedConfig();
    await useConfig(suite.gw, config);
    const token = await suite.gw.mint({ scp: ['orders:read'] });
    const live = await runDoctor(['--admin-url', suite.gw.adminUrl, '--route', 'protected', '--token', token, '--json']);
    const file = await runDoctor(['--config', suite.tmp.file('kong.yml', stringify(config)), '--route', 'protected', '--token', token, '--json']);
    const plugin = await send('GET', `${suite.gw.proxyUrl}/echo/x`, [['Authorization', `Bearer ${token}`]]);
    expect(live.stderr).to.equal('');
    const report = live.report();
    expect(report.source).to.equal(`route "protected" on ${suite.gw.adminUrl}`);
    expect([live.code, report.verdict.kind, report.verdict.status, report.verdict.reason]).to.deep.equal([1, 'deny', 403, 'scope_missing']);
    expect(plugin.status).to.equal(403);
    expect(report.explainedBy).to.deep.equal(file.report().explainedBy);
    expect(configChecks(report)).to.deep.equal(configChecks(file.report()));
  });

  it('finds the service\'s config for a route without its own, the service\'s by --service, and takes ids as well as names', async () => {
    await useConfig(suite.gw, scopedConfig());
    const token = await suite.gw.mint({ scp: ['orders:read'] });
    const open = await runDoctor(['--admin-url', suite.gw.adminUrl, '--route', 'open', '--token', token, '--json']);
    // The node's own checks (kong.*) depend on how the gateway runs its plugin server: not judged here.
    expect(failingConfigChecks(open.report())).to.deep.equal([]);
    expect([open.report().source, open.report().verdict.kind]).to.deep.equal([`service "echo" (applies to route "open") on ${suite.gw.adminUrl}`, 'allow']);
    const routeId = ((await suite.gw.admin('GET', '/routes/protected')).json<{ id: string }>()).id;
    const serviceId = ((await suite.gw.admin('GET', '/services/echo')).json<{ id: string }>()).id;
    const byId = await runDoctor(['--admin-url', suite.gw.adminUrl, '--route', routeId, '--token', token, '--json']);
    expect(byId.report().verdict.reason).to.equal('scope_missing');
    const service = await runDoctor(['--admin-url', suite.gw.adminUrl, '--service', serviceId, '--json']);
    expect([failingConfigChecks(service.report()), service.report().source]).to.deep.equal([[], `service "echo" on ${suite.gw.adminUrl}`]);
    const missing = await runDoctor(['--admin-url', suite.gw.adminUrl, '--route', 'no-such-route']);
    expect([missing.code, missing.stderr]).to.satisfy(([code, err]: [number, string]) => code === 2 && err.includes('no route named "no-such-route"'));
  });

  it('without --route or --service, runs the config checks on every okta-jwt config of the node, each labelled', async () => {
    const config = scopedConfig();
    // A route-scoped config Kong accepts that the plugin refuses when it first runs (two claims, one header).
    (config.services as Array<{ routes: Array<Record<string, unknown>> }>)[0]!.routes[1]!.plugins = [
      { name: 'okta-jwt', config: oktaJwtConfig(suite.gw, { claims_to_headers: [{ claim: 'sub', header: 'X-User' }, { claim: 'cid', header: 'x-user' }] }) },
    ];
    // Kong applies a consumer-scoped plugin only to that consumer's requests: noted, not judged.
    config.consumers = [{ username: 'alice', plugins: [{ name: 'okta-jwt', config: oktaJwtConfig(suite.gw) }] }];
    await useConfig(suite.gw, config);
    const run = await runDoctor(['--admin-url', suite.gw.adminUrl, '--json']);
    const report = run.report();
    expect(run.code).to.equal(1);
    expect(report.verdict.detail).to.include('3 okta-jwt config(s) checked');
    const plugin = report.checks.filter((c) => (c.id === 'config.plugin' || c.id === 'config.startup') && c.status !== 'info').map((c) => `${c.status} ${c.detail.split(':')[0]}`);
    expect(plugin).to.have.members(['pass service "echo"', 'pass route "protected"', 'fail route "open"']);
    expect(report.checks.find((c) => c.id === 'config.plugin' && c.status === 'info')?.detail).to.match(/^1 consumer-scoped okta-jwt plugin\(s\) not examined/);
    expect(report.checks.some((c) => c.id.startsWith('issuer.discovery') && c.status === 'pass' && c.detail.startsWith('service "echo": '))).to.equal(true);
  });

  it('fails a node whose SSF receiver drops revocations while a plugin verifying the same issuer still accepts the revoked tokens', async () => {
    const receiverOn = (receiver: Record<string, unknown>) => {
      const config = kongYml(suite.gw, { guard: true });
      const service = (config.services as Array<{ routes: Array<Record<string, unknown>> }>)[0]!;
      service.routes.push({
        name: 'ssf', paths: ['/ssf'],
        plugins: [{ name: 'okta-jwt', config: oktaJwtConfig(suite.gw, { ...receiver, ssf_receiver: { transmitter_issuer: suite.gw.issuerControl.ssf.issuer, audiences: ['https://gateway.example/ssf'], authorization: 'Bearer a-stream-authorization-value' } }) }],
      });
      return config;
    };
    const revocationChecks = async () => (await runDoctor(['--admin-url', suite.gw.adminUrl, '--json'])).report().checks.filter((c) => c.id === 'config.revocations');
    try {
      // The receiver keeps a revocation an hour; route "protected" accepts tokens up to a day old (the default).
      await useConfig(suite.gw, receiverOn({ max_token_age_seconds: 3600 }));
      const short = await revocationChecks();
      expect(short.map((c) => `${c.status} ${c.field}`)).to.deep.equal(['fail max_token_age_seconds']);
      expect(short[0]!.detail).to.match(/^route "ssf" keeps a revocation 3630 s .* route "protected" accepts tokens up to 86430 s old/);
      await useConfig(suite.gw, receiverOn({}));
      expect((await revocationChecks()).map((c) => c.status)).to.deep.equal(['pass']);
    } finally {
      await useConfig(suite.gw, kongYml(suite.gw));
    }
  });

  it('reads every page of the Admin API\'s lists (more than 1000 routes)', async () => {
    const config = kongYml(suite.gw, { guard: true });
    const service = (config.services as Array<{ routes: Array<Record<string, unknown>> }>)[0]!;
    for (let i = 0; i < 1001; i++) service.routes.push({ name: `extra-${i}`, paths: [`/extra-${i}`] });
    await useConfig(suite.gw, config);
    try {
      const run = await runDoctor(['--admin-url', suite.gw.adminUrl, '--route', 'extra-1000', '--json']);
      // Found on the second page; no okta-jwt applies to it (the plugin is on "protected" only).
      expect([run.code, run.stderr]).to.deep.equal([2, 'okta-jwt doctor: no okta-jwt plugin applies to route "extra-1000"; the plugin is on route "protected" (try --route protected)\n']);
    } finally {
      // The gateway is shared with later spec files: leave them a small config to replace.
      await useConfig(suite.gw, kongYml(suite.gw));
    }
  });

  it('reads saved `GET /plugins` output given to --config: a route\'s own config, or a service\'s by --service', async () => {
    await useConfig(suite.gw, scopedConfig());
    const saved = suite.tmp.file('plugins.json', (await suite.gw.admin('GET', '/plugins')).text);
    const routeId = ((await suite.gw.admin('GET', '/routes/protected')).json<{ id: string }>()).id;
    const serviceId = ((await suite.gw.admin('GET', '/services/echo')).json<{ id: string }>()).id;
    const token = await suite.gw.mint({ scp: ['orders:read'] });
    const route = await runDoctor(['--config', saved, '--route', routeId, '--token', token, '--json']);
    expect(route.stderr).to.equal('');
    expect([route.code, route.report().source, route.report().verdict.reason]).to.deep.equal([1, `route "${routeId}" in ${saved}`, 'scope_missing']);
    const service = await runDoctor(['--config', saved, '--service', serviceId, '--token', token, '--json']);
    expect([service.code, service.report().verdict.kind]).to.deep.equal([0, 'allow']);
  });
});
