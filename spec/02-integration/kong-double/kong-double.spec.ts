// Behaviour of the Kong double beyond the transcripts: workers, discovery errors, bundled plugins,
// DB mode Admin API, fail-closed switch. Real kong-js-pluginserver processes throughout.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startKongDouble, type KongDouble } from '../../kong-double';
import { repoRoot } from '../../support/repo-paths';
import { startEchoUpstream, type EchoUpstream } from '../../../dev/echo-upstream';
import { TRANSCRIPTS } from '../kong-double-replay/transcript-tools';

const PROBE_DIR = path.join(repoRoot(), 'spec', 'fixtures', 'probe-plugins', 'js-probe');
const MULTI = path.join(TRANSCRIPTS, 'batch2', 'one-pluginserver-two-plugins');

function config(upstream: string, routePlugins: unknown[], extra: Record<string, unknown> = {}) {
  return { _format_version: '3.0', services: [{ name: 'echo', url: upstream, routes: [{ name: 'r', paths: ['/echo'], plugins: routePlugins }] }], ...extra };
}

const GOOD = { authorization: 'Bearer good-token' };

describe('kong-double', function () {
  this.timeout(20000);
  let up: EchoUpstream;
  before(async () => {
    up = await startEchoUpstream();
  });
  after(() => up.close());

  describe('with the js-probe plugin and 2 workers', () => {
    let kong: KongDouble;
    before(async () => {
      kong = await startKongDouble({ pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }], config: config(up.url, [{ name: 'js-probe' }]) });
    });
    after(() => kong.close());

    it('starts one instance per worker, each worker with its own msgid counter from 1', async () => {
      kong.rpcLog.reset();
      const statuses = await Promise.all([1, 2, 3, 4].map(() => fetch(kong.proxyUrl + '/echo/x', { headers: GOOD }).then((r) => r.status)));
      expect(statuses).to.deep.equal([200, 200, 200, 200]);
      const starts = kong.rpcLog.frames.filter((f) => f.dir === 'kong->ps' && f.method === 'plugin.StartInstance');
      expect(starts.map((f) => f.worker).sort()).to.deep.equal([0, 1]);
      expect(starts.map((f) => f.msgid)).to.deep.equal([1, 1]);
    });

    it('sends no CORS headers from its Admin API, so a web page cannot read or drive a local gateway', async () => {
      const r = await fetch(kong.adminUrl + '/status', { headers: { origin: 'https://evil.example' } }); // GET / is 500 here (batch3 §3)
      expect(r.status).to.equal(200);
      expect(r.headers.get('access-control-allow-origin')).to.equal(null);
      expect(r.headers.get('access-control-allow-credentials')).to.equal(null);
    });

    it('answers 404 with Kong\'s body when no route matches', async () => {
      const r = await fetch(kong.proxyUrl + '/nothing');
      expect(r.status).to.equal(404);
      expect(await r.json()).to.have.property('message', 'no Route matched with those values');
    });

    it('respawns a killed plugin server ≥ 1 s after its previous start and restarts instances ("no plugin instance" → StartInstance)', async () => {
      const server = kong.pluginServers.get('js')!;
      const oldPid = server.pid;
      const previousStart = server.startedAt;
      const next = server.nextStart();
      server.kill('SIGKILL');
      await next;
      expect(server.pid).to.not.equal(oldPid);
      expect(server.startedAt - previousStart).to.be.at.least(1000);
      kong.rpcLog.reset();
      const r = await fetch(kong.proxyUrl + '/echo/x', { headers: GOOD });
      expect(r.status).to.equal(200);
      const methods = kong.rpcLog.frames.filter((f) => f.dir === 'kong->ps').map((f) => f.method);
      expect(methods).to.include('plugin.StartInstance');
      expect(kong.errorLog.text()).to.match(/\[pluginserver\] started, pid \d+/);
    });
  });

  describe('bundled plugins', () => {
    let kong: KongDouble;
    before(async () => {
      kong = await startKongDouble({
        workers: 1,
        pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }],
        config: config(up.url, [
          { name: 'js-probe' },
          { name: 'pre-function', config: { access: ['kong.service.request.clear_header("X-Drop")'] } },
          { name: 'post-function', config: { access: ['if kong.request.get_header("X-Gate") ~= "open" then return kong.response.exit(503) end\nkong.service.request.clear_header("X-Gate")'] } },
        ]),
      });
    });
    after(() => kong.close());

    it('pre-function removes a header before the JS plugin sees it; post-function gates after it', async () => {
      up.reset();
      kong.rpcLog.reset();
      const closed = await fetch(kong.proxyUrl + '/echo/x', { headers: { ...GOOD, 'X-Drop': '1' } });
      expect(closed.status).to.equal(503);
      expect(kong.rpcLog.frames.some((f) => f.method === 'plugin.HandleEvent')).to.equal(true); // the JS plugin ran first
      const open = await fetch(kong.proxyUrl + '/echo/x', { headers: { ...GOOD, 'X-Drop': '1', 'X-Gate': 'open' } });
      expect(open.status).to.equal(200);
      const seen = up.received().at(-1)!.headers;
      expect(seen).to.not.have.property('x-drop');
      expect(seen).to.not.have.property('x-gate');
      const headersStep = kong.rpcLog.frames.find((f) => f.method === 'plugin.StepMultiMap')!;
      expect(JSON.stringify(headersStep.frame)).to.not.contain('x-drop');
    });

    it('rejects a function-plugin snippet outside the supported Lua subset', async () => {
      const err = await kong.loadConfig(config(up.url, [{ name: 'pre-function', config: { access: ['ngx.say("hi")'] } }])).catch((e: Error) => e);
      expect(err).to.be.instanceOf(Error);
      expect(String(err)).to.contain('unsupported Lua statement');
    });

    it('rate-limiting answers 429 once the per-minute limit is used up; request-termination answers its status', async () => {
      await kong.loadConfig(config(up.url, [{ name: 'rate-limiting', config: { minute: 2, limit_by: 'ip' } }]));
      const msIntoMinute = Date.now() % 60000;
      if (msIntoMinute > 58000) await new Promise((r) => setTimeout(r, 60500 - msIntoMinute)); // stay inside one window
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await fetch(kong.proxyUrl + '/echo/x')).status);
      expect(codes).to.deep.equal([200, 200, 429]);
      await kong.loadConfig(config(up.url, [{ name: 'request-termination', config: { status_code: 418, message: 'teapot' } }]));
      const r = await fetch(kong.proxyUrl + '/echo/x');
      expect([r.status, await r.json()]).to.deep.equal([418, { message: 'teapot' }]);
    });
  });

  describe('Admin API', () => {
    it('DB-less: write endpoints other than POST /config answer 405 (code 12); info endpoints answer', async () => {
      const kong = await startKongDouble({ pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }] });
      try {
        const r = await fetch(kong.adminUrl + '/services', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"s","url":"http://x"}' });
        expect(r.status).to.equal(405);
        expect(await r.json()).to.deep.equal({ name: 'operation unsupported', message: "cannot create 'services' entities when not using a database", code: 12 });
        const enabled = (await (await fetch(kong.adminUrl + '/plugins/enabled')).json()) as { enabled_plugins: string[] };
        expect(enabled.enabled_plugins).to.include('js-probe');
        const status = await fetch(kong.adminUrl + '/status');
        expect(status.status).to.equal(200);
        expect(await status.json()).to.have.property('configuration_hash'); // DB-less only
      } finally {
        await kong.close();
      }
    });

    it('postgres mode: CRUD creates a working route + plugin; POST /config is refused', async () => {
      const kong = await startKongDouble({ database: 'postgres', workers: 1, propagation: { routerMs: 20, pluginsMs: 50 }, pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }] });
      const post = (p: string, body: unknown) => fetch(kong.adminUrl + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      try {
        expect((await post('/services', { name: 'echo', url: up.url })).status).to.equal(201);
        expect((await post('/services/echo/routes', { name: 'r', paths: ['/echo'] })).status).to.equal(201);
        const plugin = await post('/routes/r/plugins', { name: 'js-probe', config: { message: 'crud' } });
        expect(plugin.status).to.equal(201);
        const { id } = (await plugin.json()) as { id: string };
        await kong.propagated();
        const denied = await fetch(kong.proxyUrl + '/echo/x');
        expect([denied.status, await denied.text()]).to.deep.equal([401, '{"message":"crud"}']);
        const patched = await fetch(`${kong.adminUrl}/plugins/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"config":{"message":"patched"}}' });
        expect(patched.status).to.equal(200);
        await kong.propagated();
        expect(await (await fetch(kong.proxyUrl + '/echo/x')).text()).to.equal('{"message":"patched"}');
        expect((await fetch(`${kong.adminUrl}/plugins/${id}`, { method: 'DELETE' })).status).to.equal(204);
        await kong.propagated();
        expect((await fetch(kong.proxyUrl + '/echo/x')).status).to.equal(200);
        const cfg = await post('/config', { _format_version: '3.0' });
        expect(cfg.status).to.equal(400);
      } finally {
        await kong.close();
      }
    });
  });

  describe('plugin discovery', () => {
    it('Kong 3.9 registers only the first plugin of a server; 3.4 registers all', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-double-multi-'));
      for (const f of ['js-multi-a.js', 'js-multi-b.js']) fs.copyFileSync(path.join(MULTI, f), path.join(dir, f));
      try {
        for (const [version, names] of [['3.9.3', ['js-multi-a']], ['3.4.2', ['js-multi-a', 'js-multi-b']]] as const) {
          const kong = await startKongDouble({ kongVersion: version, pluginServers: [{ name: 'multi', pluginsDir: dir }] });
          expect([...kong.plugins.keys()], version).to.deep.equal(names);
          await kong.close();
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('fails hard when the query command does not print JSON', async () => {
      const err = await startKongDouble({ pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR, queryCommand: ['sh', '-c', 'echo "warn: something"; echo "[]"'] }] }).catch((e: Error) => e);
      expect(String(err)).to.contain('failed decoding plugin info');
    });
  });

  describe('error policy', () => {
    for (const [failClosed, expected] of [[false, 200], [true, 500]] as const) {
      it(`plugin server unreachable after the instance started: ${expected} (failClosed=${failClosed})`, async () => {
        const kong = await startKongDouble({ workers: 1, failClosed, pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }], config: config(up.url, [{ name: 'js-probe' }]) });
        const sock = kong.pluginServers.get('js')!.socketPath;
        try {
          expect((await fetch(kong.proxyUrl + '/echo/x')).status).to.equal(401);
          fs.renameSync(sock, sock + '.away');
          kong.dropPooledConnections('js');
          expect((await fetch(kong.proxyUrl + '/echo/x')).status).to.equal(expected);
          expect(kong.errorLog.text()).to.contain('no such file or directory');
        } finally {
          if (fs.existsSync(sock + '.away')) fs.renameSync(sock + '.away', sock);
          await kong.close();
        }
      });
    }
  });
});
