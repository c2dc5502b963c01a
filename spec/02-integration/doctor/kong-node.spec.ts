// `okta-jwt doctor --admin-url` against the Kong double's Admin API (Kong 3.4.2 and 3.9.3 modes), an
// Admin API that wants a token and pages its lists, and `--kong-conf` on the shipped deploy/vm files.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { startKongDouble } from '../../kong-double';
import { startDevIssuer, type DevIssuer } from '../../../dev/issuer';
import { repoRoot } from '../../support/repo-paths';
import { GUARD_SNIPPET, guardPlugins } from '../../support/kong-config';
import { startExternalServer } from '../kong-double-replay/transcript-tools';
import { doctorBuilt, failing, runDoctor, tempDir } from './run-doctor';

const ROOT = repoRoot();
const PLUGINS_DIR = path.join(ROOT, 'dist', 'plugins');
// A real issuer: with --admin-url the doctor also checks every okta-jwt config it finds, issuer included.
let dev: DevIssuer;
const okta = { name: 'okta-jwt', config: {} as Record<string, unknown> };

describe('okta-jwt doctor: a Kong node (--admin-url, --kong-conf)', function () {
  this.timeout(30000);
  before(async function () {
    if (!doctorBuilt()) this.skip();
    dev = await startDevIssuer();
    okta.config = { issuer: dev.issuer, audiences: ['api://default'], fail_closed_guard: true };
  });
  after(async () => dev?.close());

  describe('against the Kong double', () => {
    let tmp: string;
    let server: ChildProcess;
    before(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-node-'));
      server = await startExternalServer(tmp, PLUGINS_DIR, 'okta-jwt.sock');
    });
    after(() => {
      server?.kill('SIGKILL');
      fs.rmSync(tmp, { recursive: true, force: true });
    });
    const config = () => ({
      _format_version: '3.0',
      services: [{ name: 'orders', url: 'http://127.0.0.1:1', routes: [
        { name: 'guarded', paths: ['/guarded'], plugins: [okta, ...guardPlugins()] },
        { name: 'plain', paths: ['/plain'], plugins: [{ ...okta, config: { ...okta.config, fail_closed_guard: false } }] },
        { name: 'open', paths: ['/open'] },
      ] }],
    });
    const double = (kongVersion: '3.4.2' | '3.9.3', startCommand: string[] | null) => startKongDouble({
      kongVersion, workers: 1, config: config(),
      pluginServers: [{ name: 'okta-jwt', pluginsDir: PLUGINS_DIR, startCommand, socketPath: path.join(tmp, 'okta-jwt.sock') }],
    });

    it('Kong 3.4.2 with an external server and no start command: FAIL "okta-jwt will never run", with the fix; the unguarded route FAILs, the guarded one passes; exit 1', async () => {
      const kong = await double('3.4.2', null);
      try {
        const run = await runDoctor(['--admin-url', kong.adminUrl, '--json']);
        expect(run.code).to.equal(1);
        const report = run.report();
        expect(report.verdict.kind).to.equal('kong_node');
        const ready = failing(report, 'kong.plugin_server.ready');
        expect(ready.detail).to.include('okta-jwt will never run').and.include('pluginserver_okta_jwt_start_cmd = /bin/sleep 100000000');
        expect(ready.field).to.equal('pluginserver_okta_jwt_start_cmd');
        const guards = report.checks.filter((c) => c.id === 'kong.guard').map((c) => [c.status, c.detail.split(':')[0]]);
        expect(guards).to.deep.equal([['pass', 'route "guarded"'], ['fail', 'route "plain"']]);
        expect(report.checks.find((c) => c.id === 'kong.version')?.detail).to.equal('Kong 3.4.2 (community)');
        const text = await runDoctor(['--admin-url', kong.adminUrl]);
        expect(text.stdout).to.match(/\[FAIL\] kong\.plugin_server\.ready +Kong 3\.4\.2 runs an external plugin only after a readiness check/);
      } finally {
        await kong.close();
      }
    });

    it('Kong 3.4.2 with the placeholder start command: ready, GET / 200; only the unguarded route fails', async () => {
      const kong = await double('3.4.2', ['/bin/sleep', '100000000']);
      try {
        const report = (await runDoctor(['--admin-url', kong.adminUrl, '--json'])).report();
        expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.id)).to.deep.equal(['kong.guard']);
        expect(report.checks.find((c) => c.id === 'kong.admin_root')?.status).to.equal('pass');
      } finally {
        await kong.close();
      }
    });

    it('Kong 3.9.3 that starts the server itself: GET / is 500, the doctor says what that means (version from the Server header)', async () => {
      const kong = await double('3.9.3', ['/bin/sleep', '100000000']);
      try {
        const report = (await runDoctor(['--admin-url', kong.adminUrl, '--json'])).report();
        expect(failing(report, 'kong.admin_root').detail).to.match(/^GET \/ answered 500\. Kong 3\.9\.3 does this while it runs a plugin server it started itself .*decK \(sync, diff, dump, ping\) fails/);
        expect(report.checks.find((c) => c.id === 'kong.version')?.detail).to.equal('Kong 3.9.3');
      } finally {
        await kong.close();
      }
    });

    it('Kong 3.9.3 with the external server: its version needs no start command, GET / 200 (exit 1 only for the unguarded route)', async () => {
      const kong = await double('3.9.3', null);
      try {
        const report = (await runDoctor(['--admin-url', kong.adminUrl, '--json'])).report();
        expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.id)).to.deep.equal(['kong.guard']);
        expect(report.checks.find((c) => c.id === 'kong.plugin_server.ready')?.status).to.equal('pass');
      } finally {
        await kong.close();
      }
    });
  });

  it('sends --admin-header to the Admin API, says so when it is refused, and follows the `next` page of a list', async () => {
    const seen: string[] = [];
    const admin = http.createServer((req, res) => {
      seen.push(`${req.url} ${req.headers['kong-admin-token'] ?? '-'}`);
      const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json', server: 'kong/3.4.2' }).end(JSON.stringify(body));
      if (req.headers['kong-admin-token'] !== 's3cret') return reply(401, { message: 'Invalid credentials. Token or User credentials required' });
      if (req.url === '/') {
        return reply(200, {
          version: '3.4.2', plugins: { available_on_server: { 'okta-jwt': { version: '0.1.0', priority: 1060 } } },
          configuration: { pluginserver_names: ['okta-jwt'], pluginserver_okta_jwt_socket: '/run/okta-jwt/okta-jwt.sock', pluginserver_okta_jwt_query_cmd: 'node x --dump-all-plugins', pluginserver_okta_jwt_start_cmd: '/bin/sleep 100000000' },
        });
      }
      if (req.url === '/services?size=1000') return reply(200, { data: [{ id: 's1', name: 'orders' }], next: null });
      if (req.url === '/routes?size=1000') return reply(200, { data: [{ id: 'r1', name: 'orders', service: { id: 's1' } }], next: null });
      if (req.url === '/plugins?size=1000') return reply(200, { data: [{ id: 'p1', name: 'okta-jwt', route: { id: 'r1' }, service: null, consumer: null, config: okta.config }], next: '/plugins?offset=abc' });
      if (req.url === '/plugins?offset=abc') return reply(200, { data: [{ id: 'p2', name: 'post-function', route: null, service: { id: 's1' }, consumer: null, config: { access: [GUARD_SNIPPET] } }], next: null });
      return reply(404, { message: 'Not found' });
    });
    await new Promise<void>((r) => admin.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(admin.address() as AddressInfo).port}`;
    try {
      const refused = await runDoctor(['--admin-url', url, '--json']);
      expect(refused.code).to.equal(1);
      expect(failing(refused.report(), 'kong.admin').detail).to.include("--admin-header 'Kong-Admin-Token: …'");
      const run = await runDoctor(['--admin-url', url, '--admin-header', 'Kong-Admin-Token: s3cret', '--json']);
      expect([run.code, run.report().checks.filter((c) => c.status !== 'info').map((c) => `${c.id} ${c.status}`)]).to.deep.equal([0, [
        'kong.plugin pass', 'kong.plugin_server.ready pass', 'kong.admin_root pass', 'kong.guard pass', 'config.guard pass',
        // and the one okta-jwt config found on the node, with the checks a file gets
        'config.plugin pass', 'issuer.form pass', 'issuer.discovery pass', 'issuer.clock pass', 'issuer.keys pass',
      ]]);
      expect(run.report().checks.find((c) => c.id === 'config.plugin')?.detail).to.equal('route "orders": the plugin accepts this config');
      expect(seen).to.include('/plugins?offset=abc s3cret');
    } finally {
      admin.close();
    }
  });

  it('never sends --admin-header to another origin named as the `next` page of a list', async () => {
    const elsewhere: string[] = [];
    const other = http.createServer((req, res) => {
      elsewhere.push(`${req.url} ${req.headers['kong-admin-token'] ?? '-'}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [], next: null }));
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const otherPort = (other.address() as AddressInfo).port;
    const admin = http.createServer((req, res) => {
      const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json', server: 'kong/3.9.3' }).end(JSON.stringify(body));
      if (req.url === '/') return reply(200, { version: '3.9.3', plugins: { available_on_server: { 'okta-jwt': { version: '0.1.0', priority: 1060 } } }, configuration: {} });
      if (req.url === '/services?size=1000') return reply(200, { data: [], next: null });
      if (req.url === '/routes?size=1000') return reply(200, { data: [{ id: 'r1', name: 'orders', service: { id: 's1' } }], next: `//localhost:${otherPort}/routes?offset=x` });
      if (req.url === '/plugins?size=1000') return reply(200, { data: [], next: `http://localhost:${otherPort}/plugins?offset=y` });
      return reply(404, { message: 'Not found' });
    });
    await new Promise<void>((r) => admin.listen(0, '127.0.0.1', r));
    try {
      const run = await runDoctor(['--admin-url', `http://127.0.0.1:${(admin.address() as AddressInfo).port}`, '--admin-header', 'Kong-Admin-Token: s3cret', '--json']);
      expect(elsewhere, 'requests that reached the other origin').to.deep.equal([]);
      expect(run.report().checks.find((c) => c.id === 'kong.guard')?.detail).to.include('another origin');
    } finally {
      admin.close();
      other.close();
    }
  });

  it('refuses an --admin-url with credentials without printing them (they belong in --admin-header)', async () => {
    const run = await runDoctor(['--admin-url', 'http://admin:pw-s3cret@127.0.0.1:1', '--json']);
    expect(run.stdout + run.stderr).to.not.include('pw-s3cret');
    expect(run.code).to.equal(2);
    expect(run.stderr).to.include('--admin-header');
  });

  it('an Admin API nobody answers on: exit 3', async () => {
    const run = await runDoctor(['--admin-url', 'http://127.0.0.1:1', '--json']);
    expect(run.code).to.equal(3);
    expect(failing(run.report(), 'kong.admin').detail).to.include('cannot reach the Admin API');
  });

  it('--kong-conf judges the shipped deploy/vm files for the version given, in the kong.conf and the environment form', async () => {
    const files = tempDir();
    try {
      const vm = (f: string) => fs.readFileSync(path.join(ROOT, 'deploy', 'vm', f), 'utf8');
      const conf34 = files.file('kong-3.4-full.conf', vm('kong.conf') + vm('kong-3.4.conf'));
      const env34 = files.file('kong-3.4-full.env', vm('kong.env') + vm('kong-3.4.env'));
      const verdict = async (file: string, version: string) => {
        const run = await runDoctor(['--kong-conf', file, '--kong-version', version, '--json']);
        return [run.code, run.report().checks.filter((c) => c.status === 'fail').map((c) => c.id)];
      };
      expect(await verdict(path.join(ROOT, 'deploy/vm/kong.conf'), '3.9.3')).to.deep.equal([0, []]);
      expect(await verdict(path.join(ROOT, 'deploy/vm/kong.conf'), '3.4.2')).to.deep.equal([1, ['kong.plugin_server.ready']]);
      expect(await verdict(conf34, '3.4.2')).to.deep.equal([0, []]);
      expect(await verdict(conf34, '3.9.3')).to.deep.equal([1, ['kong.admin_root']]);
      expect(await verdict(path.join(ROOT, 'deploy/vm/kong.env'), '3.4.2')).to.deep.equal([1, ['kong.plugin_server.ready']]);
      expect(await verdict(env34, '3.4.2')).to.deep.equal([0, []]);
      const usage = await runDoctor(['--kong-conf', conf34]);
      expect([usage.code, usage.stderr]).to.satisfy(([code, err]: [number, string]) => code === 2 && err.includes('--kong-conf and --kong-version go together'));
    } finally {
      files.remove();
    }
  });
});
