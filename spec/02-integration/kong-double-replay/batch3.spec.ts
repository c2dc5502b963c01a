// Batch 3 of the real-Kong facts (spec/fixtures/kong-transcripts/batch3/README.md) through the double,
// one test per row. Batch 3 recorded answers and timings, not RPC frames, so these tests compare
// statuses, bodies, headers and delays.
//
// | row | exception and reason |
// |---|---|
// | §1 POST /config | "the next request ran the old config 10 of 10" is replayed with the delay lengthened to 400 ms (a loaded test machine can take longer than 15 ms to send it); with the default 15 ms, no request answered within 10 ms of sending the POST may see the new config (the server-side delay is checked on the double's own clock). |
// | §1 PATCH / DELETE /plugins | run with the plugins delay shortened to 300 ms (the setting tests use); the 5 s default is replayed for POST. |
// | §4 "5 s later" | 1.5 s: the double respawns a server it manages after ≥ 1 s, so 1.5 s shows an external one is not respawned. |
// | §5, §6 | the suite against real Kong and hybrid mode: not the double's behaviour (the suite itself runs on the double in both modes). |
// | §8 | kong.ctx.shared between a JS plugin and a Lua post-function: replayed with the fail-closed guard (another change). |
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startKongDouble, type KongDouble, type KongDoubleOptions } from '../../kong-double';
import { socketAccepts } from '../../kong-double/plugin-server';
import { repoRoot } from '../../support/repo-paths';
import { startEchoUpstream, type EchoUpstream } from '../../../dev/echo-upstream';
import { startDevIssuer, type DevIssuer } from '../../../dev/issuer';
import { guardPlugins } from '../../support/kong-config';
import { header, rawRequest, startExternalServer, type HttpResult } from './transcript-tools';

const ROOT = repoRoot();
const PROBE_DIR = path.join(ROOT, 'spec', 'fixtures', 'probe-plugins', 'js-probe');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const probeConfig = (upstream: string, paths: string[]) => ({
  _format_version: '3.0',
  services: [{
    name: 'echo', url: upstream, routes: [
      { name: 'probed', paths: ['/echo'], plugins: [{ name: 'js-probe', config: { message: 'x' } }] },
      ...paths.map((p) => ({ name: p.slice(1), paths: [p] })),
    ],
  }],
});

/** GET with exactly these header lines after Host and the Accept line curl sends (batch 3 was recorded with curl). */
function get(port: number, pathname: string, lines: string[] = []): Promise<HttpResult> {
  return rawRequest(port, [`GET ${pathname} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Accept: */*', ...lines, '', ''].join('\r\n'));
}

/** Polls until `done` holds for the answer; returns ms since `from`. */
async function visibleAfter(from: number, probe: () => Promise<HttpResult>, done: (r: HttpResult) => boolean, limitMs: number): Promise<number> {
  while (Date.now() - from < limitMs) {
    if (done(await probe())) return Date.now() - from;
    await sleep(10);
  }
  throw new Error(`not visible within ${limitMs} ms`);
}

describe('kong-double replay: batch 3 (Kong 3.9.3 facts)', function () {
  this.timeout(20000);
  let up: EchoUpstream;
  before(async () => {
    up = await startEchoUpstream();
  });
  after(async () => up?.close());

  describe('§1 configuration is eventually consistent', () => {
    /**
     * POSTs configs alternating /old and /new routes; per try, the answers to GETs sent right after the
     * 201 until the new route answers, with their send and answer times in ms since the POST was sent.
     */
    async function dblessTries(kong: KongDouble, tries: number): Promise<Array<Array<{ sentMs: number; answeredMs: number; status: number }>>> {
      const out: Array<Array<{ sentMs: number; answeredMs: number; status: number }>> = [];
      for (let i = 0; i < tries; i++) {
        const target = i % 2 ? '/old/x' : '/new/x';
        const posted = Date.now();
        const res = await fetch(`${kong.adminUrl}/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(probeConfig(up.url, [target.slice(0, 4)])) });
        expect(res.status).to.equal(201);
        const samples: Array<{ sentMs: number; answeredMs: number; status: number }> = [];
        while (samples.at(-1)?.status !== 200) {
          // A guard only (the server-side check below bounds the delay): a busy machine may take long to send.
          if (Date.now() - posted > 10000) expect.fail(`try ${i}: the new config did not answer within 10 s`);
          const sentMs = Date.now() - posted;
          const { status } = await get(kong.proxyPort, target);
          samples.push({ sentMs, answeredMs: Date.now() - posted, status });
          if (samples.at(-1)!.status !== 200) await sleep(2);
        }
        out.push(samples);
      }
      return out;
    }

    it('DB-less POST /config: 201, then the old config for a few ms (default 15 ms), the new one well within a second', async () => {
      const kong = await startKongDouble({ workers: 1, pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }], config: probeConfig(up.url, ['/old']) });
      try {
        for (const [i, samples] of (await dblessTries(kong, 10)).entries()) {
          // Kong: the new config answered 11-21 ms after the 201. A GET answered within 10 ms of sending the
          // POST was routed before the double's 15 ms timer (started on receiving the POST) could fire, so it
          // must see the old config. (By send time alone this is not causal: a busy double's event loop
          // runs the due timer before it reads a GET sent 3 ms after the POST.)
          expect(samples.filter((s) => s.answeredMs < 10).every((s) => s.status === 404), `try ${i}: ${JSON.stringify(samples)}`).to.equal(true);
        }
        // Server side: the switch comes ≥ 15 ms (a timer may fire 1 ms early) after the POST, not with it.
        const posted = Date.now();
        await kong.loadConfig(probeConfig(up.url, ['/again']));
        expect(Date.now() - posted).to.be.at.least(14);
      } finally {
        await kong.close();
      }
    });

    it('DB-less: the request right after the 201 runs the old config (10 of 10; the delay lengthened to 400 ms so a busy machine cannot hide it)', async () => {
      const kong = await startKongDouble({ workers: 1, propagation: { declarativeMs: 400 }, pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }], config: probeConfig(up.url, ['/old']) });
      try {
        const firsts = (await dblessTries(kong, 10)).map((samples) => samples[0]!.status);
        expect(firsts).to.deep.equal(Array(10).fill(404));
      } finally {
        await kong.close();
      }
    });

    describe('DB mode', () => {
      let kong: KongDouble;
      const admin = async (method: string, p: string, body?: unknown) => {
        const res = await fetch(kong.adminUrl + p, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
        return { status: res.status, body: res.status === 204 ? {} : ((await res.json()) as Record<string, string>) };
      };
      const start = async (options: Partial<KongDoubleOptions> = {}) => {
        kong = await startKongDouble({ database: 'postgres', workers: 1, pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }], ...options });
        expect((await admin('POST', '/services', { name: 'echo', url: up.url })).status).to.equal(201);
      };
      afterEach(async () => kong?.close());

      it('POST /services/{id}/routes: 201, 404 no Route matched until ~0.6 s; POST /routes/{id}/plugins: 201, the old behaviour for ~5 s', async function () {
        this.timeout(30000);
        await start();
        // Times count from before each Admin API call: the double's timers start when it receives the
        // call, so a delay measured from then is never shorter than the modelled one, however late the
        // answer reaches a busy test. Upper bounds are the probe's limit.
        const created = Date.now();
        const route = await admin('POST', '/services/echo/routes', { name: 'r', paths: ['/echo'] });
        expect(route.status).to.equal(201);
        const first = await get(kong.proxyPort, '/echo/x');
        expect([first.status, JSON.parse(first.body).message]).to.deep.equal([404, 'no Route matched with those values']);
        const routed = await visibleAfter(created, () => get(kong.proxyPort, '/echo/x'), (r) => r.status === 200, 10000);
        expect(routed).to.be.at.least(550);

        const pluginCreated = Date.now();
        const plugin = await admin('POST', '/routes/r/plugins', { name: 'js-probe', config: { message: 'on' } });
        expect(plugin.status).to.equal(201);
        expect((await get(kong.proxyPort, '/echo/x')).status).to.equal(200);
        const ran = await visibleAfter(pluginCreated, () => get(kong.proxyPort, '/echo/x'), (r) => r.status === 401, 8000);
        expect(ran).to.be.at.least(4900);
      });

      it('PATCH /plugins/{id}: 200 and DELETE: 204, each live one plugins-iterator rebuild later (shortened to 300 ms)', async () => {
        await start({ propagation: { routerMs: 0, pluginsMs: 300 } });
        await admin('POST', '/services/echo/routes', { name: 'r', paths: ['/echo'] });
        const plugin = await admin('POST', '/routes/r/plugins', { name: 'js-probe', config: { message: 'before' } });
        await kong.propagated();
        const message = async () => JSON.parse((await get(kong.proxyPort, '/echo/x')).body).message as string | undefined;
        expect(await message()).to.equal('before');

        const patchedAt = Date.now();
        const patched = await admin('PATCH', `/plugins/${plugin.body.id}`, { config: { message: 'after' } });
        expect(patched.status).to.equal(200);
        expect(await message()).to.equal('before');
        expect(await visibleAfter(patchedAt, () => get(kong.proxyPort, '/echo/x'), (r) => r.body.includes('"after"'), 10000)).to.be.at.least(280);

        const deletedAt = Date.now();
        const deleted = await admin('DELETE', `/plugins/${plugin.body.id}`);
        expect(deleted.status).to.equal(204);
        expect((await get(kong.proxyPort, '/echo/x')).status).to.equal(401);
        expect(await visibleAfter(deletedAt, () => get(kong.proxyPort, '/echo/x'), (r) => r.status === 200, 10000)).to.be.at.least(280);
      });
    });
  });

  describe('§2 nginx refuses duplicate unique request headers before any plugin runs', () => {
    let kong: KongDouble;
    before(async () => {
      kong = await startKongDouble({ workers: 1, pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }], config: probeConfig(up.url, ['/plain']) });
    });
    after(async () => kong?.close());
    beforeEach(() => {
      kong.rpcLog.reset();
      up.reset();
    });

    function expectNginx400(res: HttpResult): void {
      const id = header(res.headers, 'x-kong-request-id');
      expect(res.status).to.equal(400);
      expect(id).to.have.length(1);
      expect(res.body).to.equal(`{\n  "message":"Bad request",\n  "request_id":"${id[0]}"\n}`);
      expect(header(res.headers, 'content-type')).to.deep.equal(['application/json; charset=utf-8']);
      expect(header(res.headers, 'connection')).to.deep.equal(['close']);
      expect(header(res.headers, 'server')).to.deep.equal(['kong/3.9.3']);
      expect(header(res.headers, 'www-authenticate')).to.deep.equal([]);
      expect(kong.rpcLog.frames, 'nothing reaches the plugin server').to.have.length(0);
      expect(up.received(), 'nothing reaches the upstream').to.have.length(0);
    }

    for (const route of ['/echo/x', '/plain/x']) {
      it(`two Authorization headers, valid or not, on ${route === '/echo/x' ? 'a route with a plugin' : 'a route without one'}`, async () => {
        for (const [a, b] of [['Bearer good-token', 'Bearer good-token'], ['Bearer good-token', 'garbage']]) {
          expectNginx400(await get(kong.proxyPort, route, [`Authorization: ${a}`, `authorization: ${b}`]));
        }
      });
    }

    const twice: Array<[string, string[]]> = [
      ['Host', ['Host: other.example']],
      ['If-Modified-Since', ['If-Modified-Since: Wed, 21 Oct 2015 07:28:00 GMT', 'If-Modified-Since: Wed, 21 Oct 2015 07:28:00 GMT']],
      ['If-None-Match', ['If-None-Match: "a"', 'If-None-Match: "b"']],
      ['Content-Length', ['Content-Length: 0', 'Content-Length: 0']],
      ['Transfer-Encoding', ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked']],
    ];
    for (const [name, lines] of twice) {
      it(`two ${name} headers`, async () => {
        expectNginx400(await get(kong.proxyPort, '/echo/x', [...lines, 'Authorization: Bearer good-token']));
      });
    }

    it('headers nginx lets repeat (X-Custom, Cookie) pass to the plugin and the upstream', async () => {
      const res = await get(kong.proxyPort, '/echo/x', ['Authorization: Bearer good-token', 'X-Custom: 1', 'X-Custom: 2', 'Cookie: a=1', 'Cookie: b=2']);
      expect(res.status).to.equal(200);
      expect(up.received()).to.have.length(1);
    });
  });

  describe('§3 GET / on the Admin API and who manages the plugin server', () => {
    it('Kong spawns the plugin server (start command): GET / answers 500, GET /status 200', async () => {
      const kong = await startKongDouble({ workers: 1, pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }] });
      try {
        const root = await fetch(kong.adminUrl + '/');
        expect([root.status, await root.text()]).to.deep.equal([500, '{"message":"An unexpected error occurred"}']);
        expect(kong.errorLog.text()).to.include('Cannot serialise cdata: type not supported');
        expect((await fetch(kong.adminUrl + '/status')).status).to.equal(200);
      } finally {
        await kong.close();
      }
    });

    it('no start command: "assuming external process management", GET / answers 200, the plugin runs on the external server', async () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-double-b3-'));
      const server = await startExternalServer(tmp, PROBE_DIR, 'js.sock');
      const kong = await startKongDouble({ workers: 1, pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR, startCommand: null, socketPath: path.join(tmp, 'js.sock') }], config: probeConfig(up.url, []) });
      try {
        expect(kong.errorLog.text()).to.include('start_command undefined for pluginserver js; assuming external process management');
        expect(kong.errorLog.text()).to.not.include('starting pluginserver process');
        const root = await fetch(kong.adminUrl + '/');
        expect(root.status).to.equal(200);
        expect(((await root.json()) as { version: string }).version).to.equal('3.9.3');
        expect((await get(kong.proxyPort, '/echo/x', ['Authorization: Bearer good-token'])).status).to.equal(200);
        expect((await get(kong.proxyPort, '/echo/x')).status).to.equal(401);
      } finally {
        await kong.close();
        server.kill('SIGKILL');
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  });

  describe('§4 an externally managed plugin server that dies is never restarted', () => {
    let issuer: DevIssuer;
    let kong: KongDouble;
    let server: ChildProcess;
    let tmp: string;
    const okta = (guarded: boolean, extra: Record<string, unknown> = {}) => [
      { name: 'okta-jwt', config: { issuer: issuer.issuer, audiences: ['api://default'], ...(guarded ? { fail_closed_guard: true } : {}), ...extra } },
      ...(guarded ? guardPlugins() : []),
    ];
    const config = (extra: Record<string, unknown> = {}) => ({
      _format_version: '3.0',
      services: [{ name: 'echo', url: up.url, routes: [{ name: 'plain', paths: ['/plain'], plugins: okta(false, extra) }, { name: 'guarded', paths: ['/guarded'], plugins: okta(true, extra) }] }],
    });

    before(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-double-b3-'));
      issuer = await startDevIssuer();
      server = await startExternalServer(tmp, path.join(ROOT, 'dist', 'plugins'), 'okta-jwt.sock');
      kong = await startKongDouble({ pluginServers: [{ name: 'okta-jwt', pluginsDir: path.join(ROOT, 'dist', 'plugins'), startCommand: null, socketPath: path.join(tmp, 'okta-jwt.sock') }], config: config() });
    });
    after(async () => {
      await kong?.close();
      server?.kill('SIGKILL');
      await issuer?.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    it('up: 401 / 200 on both routes; killed: plain fails open (200), guarded 503; after a config change 500; still 500 later, nothing restarted', async () => {
      const token = await issuer.mint({ scp: ['orders:read'] });
      const statuses = async () => Promise.all([
        get(kong.proxyPort, '/plain/x'), get(kong.proxyPort, '/plain/x', [`Authorization: Bearer ${token}`]),
        get(kong.proxyPort, '/guarded/x'), get(kong.proxyPort, '/guarded/x', [`Authorization: Bearer ${token}`]),
      ].map(async (r) => (await r).status));
      // Both workers start their instances while the server is up (two rounds: one per worker).
      expect([await statuses(), await statuses()]).to.deep.equal([[401, 200, 401, 200], [401, 200, 401, 200]]);

      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGKILL');
      await exited;
      expect(await statuses()).to.deep.equal([200, 200, 503, 503]);

      await kong.loadConfig(config({ leeway_seconds: 30 })); // new instances needed
      const noToken = async () => [(await get(kong.proxyPort, '/plain/x')).status, (await get(kong.proxyPort, '/guarded/x')).status];
      expect(await noToken()).to.deep.equal([500, 500]);
      await sleep(1500);
      expect(await noToken()).to.deep.equal([500, 500]);
      expect(await socketAccepts(path.join(tmp, 'okta-jwt.sock'))).to.equal(false);
      expect(kong.errorLog.text()).to.not.include('starting pluginserver process');
    });
  });
});

describe('kong-double replay: batch 3 §7 (Kong 3.4.2 facts)', () => {
  it('GET / answers 200 with a Kong-managed plugin server; a second Authorization header gets nginx\'s 400 (no request id)', async () => {
    const kong = await startKongDouble({ kongVersion: '3.4.2', workers: 1, pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }], config: probeConfig('http://127.0.0.1:1', []) });
    try {
      const root = await fetch(kong.adminUrl + '/');
      expect([root.status, ((await root.json()) as { version: string }).version]).to.deep.equal([200, '3.4.2']);
      const res = await get(kong.proxyPort, '/echo/x', ['Authorization: Bearer a', 'Authorization: Bearer b']);
      expect([res.status, res.body, header(res.headers, 'www-authenticate'), header(res.headers, 'x-kong-request-id')]).to.deep.equal([400, '{\n  "message":"Bad request"\n}', [], []]);
      expect(kong.rpcLog.frames).to.have.length(0);
    } finally {
      await kong.close();
    }
  });
});
