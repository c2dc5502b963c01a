// Key sets through the gateway, with the dev issuer driven over HTTP (spec/support/issuer-control.ts),
// so they run against the double and a real Kong alike: rotation (also right after the first fetch,
// inside the unknown-kid cooldown), an issuer outage with keys cached and without, a flood of unknown kids. Each scenario uses an authorization server of its own: the
// plugin server lives for the whole run (as under Kong) and keeps every key set it fetched, so
// rotating, retiring or breaking the suite's default issuer here would change what later specs see.
import crypto from 'node:crypto';
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
  });
  after(async () => gw?.close());
  beforeEach(async () => {
    issuer = await gw.issuerControl.authServer(`/oauth2/auskeys${crypto.randomBytes(6).toString('hex')}`);
    await gw.resetUpstream();
  });

  async function use(extra: Record<string, unknown>): Promise<void> {
    await useConfig(gw, kongYml(gw, { plugin: oktaJwtConfig(gw, { issuer: issuer.issuer, ...extra }) }));
  }

  it('accepts tokens of a new key after one refetch, and refuses the retired key once the set is refreshed', async () => {
    await use({ key_set: { unknown_kid_cooldown_seconds: 1 } });
    const oldKid = await issuer.currentKid();
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(await issuer.mint({ scp: ['orders:read'] })))).status).to.equal(200);
    await sleep(1100);
    await issuer.rotate();
    await issuer.retire(oldKid);
    await issuer.resetCounts();
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(await issuer.mint({ scp: ['orders:read'] })))).status).to.equal(200);
    expect(await issuer.requestCount('jwks')).to.equal(1);
    await gw.resetUpstream();
    const retired = await issuer.mint({ scp: ['orders:read'] }, { kid: oldKid });
    expectChallenge(await get(`${gw.proxyUrl}/echo/x`, bearer(retired)), 401, 'invalid_token');
    await expectNoUpstreamRequest(gw);
  });

  it('refuses a key published right after the first fetch only until the cooldown ends, then accepts it after one refetch', async function () {
    this.timeout(60000);
    const cooldownMs = 5000;
    await use({ key_set: { unknown_kid_cooldown_seconds: cooldownMs / 1000 } });
    const beforeFirstFetch = Date.now();
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(await issuer.mint({ scp: ['orders:read'] })))).status).to.equal(200);
    const afterFirstFetch = Date.now(); // the plugin's first key-set fetch started between these two
    await issuer.rotate(); // the issuer starts signing with a new key at once
    await issuer.resetCounts();
    const token = await issuer.mint({ scp: ['orders:read'] });
    await gw.resetUpstream();
    const early = await get(`${gw.proxyUrl}/echo/x`, bearer(token));
    if (Date.now() - beforeFirstFetch < cooldownMs) {
      // Certainly inside the cooldown (on a very busy machine it may not be: then nothing to check here).
      expectChallenge(early, 401, 'invalid_token');
      await expectNoUpstreamRequest(gw);
      expect(await issuer.requestCount('jwks'), 'no refetch inside the cooldown').to.equal(0);
    }
    await sleep(afterFirstFetch + cooldownMs + 100 - Date.now());
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(token))).status, 'the new key after the cooldown').to.equal(200);
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(token))).status).to.equal(200);
    expect(await issuer.requestCount('jwks'), 'one refetch').to.equal(1);
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
    // This scenario's authorization server is down before the gateway ever asked it.
    await issuer.setFault({ kind: 'status', status: 503 });
    await use({ key_set: { timeout_ms: 1000, connect_timeout_ms: 500 } });
    const res = await get(`${gw.proxyUrl}/echo/x`, bearer(await issuer.mint({ scp: ['orders:read'] })));
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
