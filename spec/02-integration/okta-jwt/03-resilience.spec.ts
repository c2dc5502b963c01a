// Failing closed where Kong itself fails open: with the guard (okta-jwt marks kong.ctx.shared on
// every request it lets through, a post-function refuses requests without the mark), no request
// reaches the upstream unauthenticated even while the plugin server is dead; service resumes when
// it is back. No client input reaches kong.ctx.shared, so no header spelling passes the guard.
import { expect } from 'chai';
import { startGateway, type Gateway } from '../../support/gateway';
import { bearer, get, send } from '../../support/http-client';
import { FORGED_GUARD_HEADERS, guardPlugins, kongYml } from '../../support/kong-config';
import { expectChallenge } from './assertions';
import { useConfig } from '../../support/apply-config';

describe('the fail-closed guard', function () {
  let gw: Gateway;

  before(async function () {
    this.timeout(60000);
    gw = await startGateway();
    const config = kongYml(gw, { guard: true }) as { services: Array<{ routes: unknown[] }> };
    // The guard alone, without okta-jwt: only a client could mark these requests, and none can.
    config.services[0]!.routes.push({ name: 'guard-only', paths: ['/guard-only'], plugins: guardPlugins() });
    await useConfig(gw, config);
  });
  after(async () => gw?.close());
  beforeEach(async () => gw.resetUpstream());

  it('lets a valid token through, adding no header of its own', async () => {
    const res = await get(`${gw.proxyUrl}/echo/x`, bearer(await gw.mint({ scp: ['orders:read'] })));
    expect(res.status, res.text).to.equal(200);
    expect(Object.keys(res.json<{ headers: Record<string, string> }>().headers).filter((n) => /guard/i.test(n))).to.deep.equal([]);
  });

  it('refuses a client that sends the mark as a header, in any spelling, where okta-jwt cannot vouch for the request', async () => {
    for (const header of FORGED_GUARD_HEADERS) {
      const res = await send('GET', `${gw.proxyUrl}/guard-only/x`, [header]);
      expect(res.status, `${header.join(': ')} → ${res.text}`).to.equal(503);
      expect(res.json()).to.deep.equal({ message: 'Authentication is temporarily unavailable' });
      const refused = await send('GET', `${gw.proxyUrl}/echo/x`, [header]);
      expectChallenge(refused, 401, null);
    }
    expect(await gw.upstreamRequests()).to.have.length(0);
  });

  // Issue 12 row 1: Kong passes these names to get_headers (nginx underscores_in_headers on); the
  // plugin server once dropped the reply and Kong proxied. kong-pdk's stock server still crashes on
  // __proto__ (spec/03-security/fail-closed/guard.spec.ts shows it); not run against it here, where
  // its respawn window would disturb the scenarios that follow.
  it('reads request headers named __proto__, constructor, toString as data: 401 without a token, 200 with one', async function () {
    if (gw.kind === 'double' && process.env.OKTA_JWT_PLUGIN_SERVER === 'stock') this.skip();
    const names: Array<[string, string]> = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'].map((n) => [n, 'x']);
    expectChallenge(await send('GET', `${gw.proxyUrl}/echo/x`, [...names, ['X-User-Sub', 'admin']]), 401, null);
    expect(await gw.upstreamRequests()).to.have.length(0);
    const res = await send('GET', `${gw.proxyUrl}/echo/x`, [...names, ...bearer(await gw.mint({ scp: ['orders:read'], sub: 'alice' }))]);
    expect(res.status, res.text).to.equal(200);
    expect(res.json<{ headers: Record<string, string> }>().headers['x-user-sub']).to.equal('alice');
  });

  it('covers only what okta-jwt covers: a route without the plugin stays open', async () => {
    expect((await get(`${gw.proxyUrl}/open/x`)).status).to.equal(200);
  });

  it('lets no request through unauthenticated while the plugin server is killed, and resumes after', async function () {
    if (gw.killPluginServer === null) this.skip();
    this.timeout(30000);
    const valid = await gw.mint({ scp: ['orders:read'] });
    const statuses: number[] = [];
    let stop = false;
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        const forgedMark = FORGED_GUARD_HEADERS[i % FORGED_GUARD_HEADERS.length]!;
        const res = await get(`${gw.proxyUrl}/echo/bad-${i}`, [...bearer(`forged.${i}.token`), forgedMark]).catch(() => null);
        if (res !== null) statuses.push(res.status);
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    await gw.killPluginServer();
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await traffic;

    expect(statuses.length).to.be.greaterThan(5);
    expect(statuses.every((s) => s === 401 || s === 500 || s === 503), statuses.join(',')).to.equal(true);
    expect((await gw.upstreamRequests()).filter((r) => r.url.startsWith('/bad-'))).to.have.length(0);

    let resumed = 0;
    for (let attempt = 0; attempt < 50 && resumed !== 200; attempt++) {
      resumed = (await get(`${gw.proxyUrl}/echo/good`, bearer(valid))).status;
      if (resumed !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(resumed).to.equal(200);
  });
});
