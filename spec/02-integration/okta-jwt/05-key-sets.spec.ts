// Key sets through the gateway, with the dev issuer driven over HTTP (spec/support/issuer-control.ts),
// so they run against the double and a real Kong alike: rotation (also right after the first fetch,
// inside the unknown-kid cooldown), an issuer outage with keys cached and without, a flood of unknown kids.
import { expect } from 'chai';
import { startGateway, type Gateway } from '../../support/gateway';
import { bearer, get } from '../../support/http-client';
import { kongYml, oktaJwtConfig } from '../../support/kong-config';
import type { IssuerControl } from '../../support/issuer-control';
import { expectChallenge, expectNoUpstreamRequest } from './assertions';
import { useConfig } from '../../support/apply-config';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('key sets through the gateway', function () {
  let gw: Gateway;
  let issuer: IssuerControl;

  before(async function () {
    this.timeout(60000);
    gw = await startGateway();
    issuer = gw.issuerControl;
  });
  after(async () => gw?.close());
  beforeEach(async () => {
    await issuer.setFault(null);
    await gw.resetUpstream();
  });

  async function use(extra: Record<string, unknown>): Promise<void> {
    await useConfig(gw, kongYml(gw, { plugin: oktaJwtConfig(gw, extra) }));
  }

  it('accepts tokens of a new key after one refetch, and refuses the retired key once the set is refreshed', async () => {
    // A fresh authorization server: the suite's other scenarios keep the main issuer's keys.
    const rotating = await issuer.authServer(`/oauth2/ausrotate${Date.now()}`);
    await use({ issuer: rotating.issuer, key_set: { unknown_kid_cooldown_seconds: 1 } });
    const oldKid = await rotating.currentKid();
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(await rotating.mint({ scp: ['orders:read'] })))).status).to.equal(200);
    await sleep(1100); // past the cooldown of that first fetch
    await rotating.rotate();
    await rotating.retire(oldKid);
    await rotating.resetCounts();
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(await rotating.mint({ scp: ['orders:read'] })))).status).to.equal(200);
    expect(await rotating.requestCount('jwks')).to.equal(1);
    await gw.resetUpstream();
    const retired = await rotating.mint({ scp: ['orders:read'] }, { kid: oldKid });
    expectChallenge(await get(`${gw.proxyUrl}/echo/x`, bearer(retired)), 401, 'invalid_token');
    await expectNoUpstreamRequest(gw);
  });

  it('refuses a key published right after the first fetch only until the cooldown ends, then accepts it after one refetch', async function () {
    this.timeout(60000);
    // A fresh authorization server: a key set no earlier scenario (or earlier run) has touched.
    const fresh = await issuer.authServer(`/oauth2/auslife${Date.now()}`);
    const cooldownMs = 5000;
    await use({ issuer: fresh.issuer, key_set: { unknown_kid_cooldown_seconds: cooldownMs / 1000 } });
    const beforeFirstFetch = Date.now();
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(await fresh.mint({ scp: ['orders:read'] })))).status).to.equal(200);
    const afterFirstFetch = Date.now(); // the plugin's first key-set fetch started between these two
    await fresh.rotate(); // the issuer starts signing with a new key at once
    await fresh.resetCounts();
    const token = await fresh.mint({ scp: ['orders:read'] });
    await gw.resetUpstream();
    const early = await get(`${gw.proxyUrl}/echo/x`, bearer(token));
    if (Date.now() - beforeFirstFetch < cooldownMs) {
      // Certainly inside the cooldown (on a very busy machine it may not be: then nothing to check here).
      expectChallenge(early, 401, 'invalid_token');
      await expectNoUpstreamRequest(gw);
      expect(await fresh.requestCount('jwks'), 'no refetch inside the cooldown').to.equal(0);
    }
    await sleep(afterFirstFetch + cooldownMs + 100 - Date.now());
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(token))).status, 'the new key after the cooldown').to.equal(200);
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(token))).status).to.equal(200);
    expect(await fresh.requestCount('jwks'), 'one refetch').to.equal(1);
  });

  it('keeps verifying with the last good keys while the issuer is down, and warns in Kong\'s log', async () => {
    await issuer.setCacheMaxAge(1);
    try {
      await use({ key_set: { min_ttl_seconds: 0, max_ttl_seconds: 60 } });
      expect((await get(`${gw.proxyUrl}/echo/x`, bearer(await issuer.mint({ scp: ['orders:read'] })))).status).to.equal(200);
      const tokens = [await issuer.mint({ scp: ['orders:read'] }), await issuer.mint({ scp: ['orders:read'] })];
      await issuer.setFault({ kind: 'status', status: 500 });
      await sleep(1500);
      gw.double?.errorLog.reset();
      expect((await get(`${gw.proxyUrl}/echo/x`, bearer(tokens[0]!))).status).to.equal(200);
      await sleep(300); // the background refresh fails; its warning goes out with the next request
      expect((await get(`${gw.proxyUrl}/echo/x`, bearer(tokens[1]!))).status).to.equal(200);
      if (gw.double !== null) {
        // Kong's error log is only readable on the double.
        expect(gw.double.errorLog.lines.some((l) => l.level === 'warn' && l.message.includes('okta-jwt'))).to.equal(true);
        expect(gw.double.errorLog.text()).to.not.match(/"n":|BEGIN/);
      }
    } finally {
      await issuer.setCacheMaxAge(3600);
    }
  });

  it('answers 503 with Retry-After and never proxies when no keys were ever fetched', async () => {
    // A fresh authorization server of the dev issuer, down before the gateway ever asked it.
    const down = await issuer.authServer(`/oauth2/ausdown${Date.now()}`);
    await down.setFault({ kind: 'status', status: 503 });
    await use({ issuer: down.issuer, key_set: { timeout_ms: 1000, connect_timeout_ms: 500 } });
    const res = await get(`${gw.proxyUrl}/echo/x`, bearer(await down.mint({ scp: ['orders:read'] })));
    expect(res.status).to.equal(503);
    expect(Number(res.headers['retry-after'])).to.be.greaterThan(0);
    expect(res.json()).to.deep.equal({ message: 'The token issuer is unavailable; try again later' });
    await expectNoUpstreamRequest(gw);
  });

  it('refuses a flood of unknown kids with at most one key-set fetch per cooldown', async () => {
    await use({});
    await get(`${gw.proxyUrl}/echo/x`, bearer(await issuer.mint({ scp: ['orders:read'] })));
    await issuer.resetCounts();
    await gw.resetUpstream();
    for (let i = 0; i < 50; i++) {
      expectChallenge(await get(`${gw.proxyUrl}/echo/x`, bearer(await issuer.mint({ scp: ['orders:read'] }, { kid: `unknown-${i}` }))), 401, 'invalid_token');
    }
    expect(await issuer.requestCount('jwks')).to.be.at.most(1);
    await expectNoUpstreamRequest(gw);
  });
});
