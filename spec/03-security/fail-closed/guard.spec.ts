// Issue 12 rows 1 and 2: the fail-closed guard (okta-jwt's `fail_closed_guard` mark in
// kong.ctx.shared, checked by a post-function) against a client that forges the mark in any header
// spelling while the plugin server is killed, stalled or crashing, and a request header named
// __proto__ (which made the plugin server drop Kong's get_headers reply; Kong then proxies).
// Nothing unauthenticated may reach the upstream of a guarded route.
import { expect } from 'chai';
import { securitySuite, type SecurityGateway } from '../support/security-gateway';
import { startDoubleGateway } from '../../support/gateway';
import { send, type HttpResponse } from '../../support/http-client';
import { FORGED_GUARD_HEADERS } from '../../support/kong-config';

/** A request with no token: the forged mark, spoofed identity headers, and optionally a header named __proto__. */
function forgedRequest(sec: SecurityGateway, mark: [string, string], proto = false): Promise<HttpResponse | null> {
  const headers: Array<[string, string]> = [mark, ['X-User-Sub', 'admin'], ['X_User_Sub', 'admin'], ...(proto ? [['__proto__', 'x'] as [string, string]] : [])];
  return send('GET', `${sec.proxy}/echo/forged`, headers).catch(() => null);
}

/** Sends every forged spelling while `during` runs; returns the statuses (null: connection failed). */
async function forgeAll(sec: SecurityGateway, proto = false): Promise<Array<number | null>> {
  const results = await Promise.all(FORGED_GUARD_HEADERS.map((mark) => forgedRequest(sec, mark, proto)));
  return results.map((r) => r?.status ?? null);
}

async function expectNothingForgedUpstream(sec: SecurityGateway, statuses: Array<number | null>): Promise<void> {
  expect(statuses.filter((s) => s !== null && s < 400), statuses.join(',')).to.deep.equal([]);
  expect((await sec.gw.upstreamRequests()).filter((r) => r.url.startsWith('/forged'))).to.have.length(0);
}

/**
 * The stock server died (and the double respawned it): its crash prints the decoder's stack trace,
 * which is the documented hole, not a leak; the leak checks resume after it.
 */
async function expectStockCrashed(sec: SecurityGateway, pid: number | undefined): Promise<void> {
  // The respawn, not a served request, shows the crash: unguarded, Kong proxies while it is down.
  for (let i = 0; i < 100 && sec.server().pid === pid; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(sec.server().pid, 'the stock server did not crash').to.not.equal(pid);
  await sec.waitUntilServing();
  expect(sec.server().output.join('\n')).to.include('The key __proto__ is not allowed');
  sec.begin();
}

/** Starts okta-jwt's instance on every (simulated nginx) worker: requests go round-robin. */
async function startInstances(sec: SecurityGateway): Promise<void> {
  const valid = await sec.valid();
  for (let i = 0; i < 4; i++) await sec.accepts([['Authorization', `Bearer ${valid}`]]);
}

describe('fail-closed guard: forged marks, dead and crashing plugin servers, __proto__', function () {
  this.timeout(60000);

  describe('okta-jwt-pluginserver', function () {
    const { test } = securitySuite({ guard: true });

    test('a valid token costs 2 PDK calls with the guard (get_headers, ctx.shared.set) and reaches the upstream with the mapped headers', async (sec) => {
      const valid = await sec.valid({ sub: 'alice' });
      await sec.accepts([['Authorization', `Bearer ${valid}`]]); // instance started, key set cached
      const double = sec.gw.double!;
      double.rpcLog.reset();
      const seen = await sec.accepts([['Authorization', `Bearer ${valid}`], ['X-User-Sub', 'admin']]);
      const calls = double.rpcLog.frames
        .filter((f) => f.dir === 'ps->kong')
        .map((f) => (f.frame[3] as { Data?: { Method?: string } } | undefined)?.Data?.Method)
        .filter((m): m is string => typeof m === 'string');
      expect(calls).to.deep.equal(['kong.request.get_headers', 'kong.service.request.clear_header', 'kong.ctx.shared.set']);
      expect(seen.headers['x-user-sub']).to.equal('alice');
      double.rpcLog.reset();
      await sec.accepts([['Authorization', `Bearer ${valid}`]]);
      const plain = double.rpcLog.frames
        .filter((f) => f.dir === 'ps->kong')
        .map((f) => (f.frame[3] as { Data?: { Method?: string } } | undefined)?.Data?.Method)
        .filter((m): m is string => typeof m === 'string');
      expect(plain).to.deep.equal(['kong.request.get_headers', 'kong.ctx.shared.set']);
    });

    test('okta-jwt marks every request it lets through (dry run, a passed CORS preflight) and none it refuses', async (sec) => {
      const double = sec.gw.double!;
      double.rpcLog.reset();
      await sec.refuses('401n', []);
      const methods = double.rpcLog.frames.map((f) => (f.frame[3] as { Data?: { Method?: string } } | undefined)?.Data?.Method);
      expect(methods).to.include('kong.response.exit').and.not.include('kong.ctx.shared.set');
      try {
        await sec.configure({ guard: true, plugin: { dry_run: true } });
        await sec.accepts([['Authorization', 'Bearer not-a-token']]);
        await sec.configure({ guard: true, plugin: { run_on_preflight: false } });
        await sec.gw.resetUpstream();
        const preflight = await sec.request([['Origin', 'https://app.example'], ['Access-Control-Request-Method', 'GET']], '/echo/case', 'OPTIONS');
        expect(preflight.status, preflight.text).to.equal(200);
        expect(await sec.gw.upstreamRequests()).to.have.length(1);
      } finally {
        await sec.configure({ guard: true });
      }
    });

    test('a client header in any spelling of the mark, with the plugin server answering: 401, nothing upstream', async (sec) => {
      for (const mark of FORGED_GUARD_HEADERS) await sec.refuses('401n', [mark]);
    });

    test('a header named __proto__ (and the other prototype names) is plain data: 401 without a token, 200 with one, spoofed identity replaced', async (sec) => {
      const names = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
      await sec.refuses('401n', [...names.map((n): [string, string] => [n, 'x']), ['X-User-Sub', 'admin']]);
      const valid = await sec.valid({ sub: 'alice' });
      const seen = await sec.accepts([['Authorization', `Bearer ${valid}`], ...names.map((n): [string, string] => [n, 'x']), ['X-User-Sub', 'admin']]);
      expect(seen.headers['x-user-sub']).to.equal('alice');
      const raw = (await sec.gw.upstreamRequests())[0]!.rawHeaders;
      for (const name of names) expect(raw, `${name} reaches the upstream as nginx passes it`).to.include(name);
    });

    test('plugin server killed: no spelling of the mark gets a request through while it is down and respawning', async (sec) => {
      await startInstances(sec);
      await sec.gw.resetUpstream();
      sec.server().kill('SIGKILL');
      const statuses: Array<number | null> = [];
      const until = Date.now() + 1500;
      while (Date.now() < until) statuses.push(...(await forgeAll(sec, true)));
      expect(statuses.filter((s) => s === 503).length, statuses.join(',')).to.be.greaterThan(0);
      await expectNothingForgedUpstream(sec, statuses);
    }, { restarted: true });
  });

  describe('okta-jwt-pluginserver stalled (SIGSTOP) past a short RPC read timeout', function () {
    // A gateway of its own: the short read timeout is a process option the shared gateway cannot have.
    const { test } = securitySuite({ guard: true, gateway: () => startDoubleGateway({ readTimeoutMs: 2000 }) });

    test('every spelling of the mark → 503, nothing upstream', async (sec) => {
      await startInstances(sec);
      await sec.gw.resetUpstream();
      const server = sec.server();
      server.kill('SIGSTOP');
      try {
        const statuses = await forgeAll(sec);
        expect(statuses.every((s) => s === 503), statuses.join(',')).to.equal(true);
        await expectNothingForgedUpstream(sec, statuses);
      } finally {
        server.kill('SIGCONT');
        sec.gw.double!.dropPooledConnections('okta-jwt');
      }
    }, { restarted: true });
  });

  // kong-pdk's stock server is NOT safe in production: it crashes on a request header named
  // __proto__, and Kong proxies that request and every one in the respawn window. Shown here as
  // it is; the guard is what keeps such a server's failures from reaching the upstream.
  describe('stock kong-js-pluginserver (crashes on a header named __proto__)', function () {
    // A gateway of its own: this server is crashed on purpose, and it is the stock one in a run
    // that serves everything else with okta-jwt-pluginserver.
    const { test } = securitySuite({ guard: true, gateway: () => startDoubleGateway({ pluginServer: 'stock' }) });

    test('without the guard, the __proto__ request is proxied with its spoofed identity (the hole, documented)', async (sec) => {
      await sec.configure({ guard: false });
      try {
        await startInstances(sec);
        await sec.gw.resetUpstream();
        const pid = sec.server().pid;
        const res = await forgedRequest(sec, ['X-Anything', '1'], true);
        expect(res?.status, res?.text).to.equal(200);
        const upstream = await sec.gw.upstreamRequests();
        expect(upstream).to.have.length(1);
        expect(upstream[0]!.headers['x-user-sub']).to.equal('admin');
        await expectStockCrashed(sec, pid);
      } finally {
        await sec.configure({ guard: true });
      }
    }, { restarted: true });

    test('with the guard, the crashing request and the respawn window are refused, whatever mark is forged', async (sec) => {
      await startInstances(sec);
      await sec.gw.resetUpstream();
      const pid = sec.server().pid;
      const statuses: Array<number | null> = [];
      const until = Date.now() + 1500;
      while (Date.now() < until) statuses.push(...(await forgeAll(sec, true)));
      expect(statuses.filter((s) => s === 503).length, statuses.join(',')).to.be.greaterThan(0);
      await expectNothingForgedUpstream(sec, statuses);
      await expectStockCrashed(sec, pid);
    }, { restarted: true });
  });
});
