// Failing closed where Kong itself fails open: with the guard (pre-function strips the marker,
// okta-jwt sets it, post-function refuses requests without it), no request reaches the upstream
// unauthenticated even while the plugin server is dead; service resumes when it is back.
import { expect } from 'chai';
import { startGateway, type Gateway } from '../../support/gateway';
import { bearer, get, send } from '../../support/http-client';
import { GUARD_HEADER, kongYml, oktaJwtConfig } from '../../support/kong-config';
import { expectChallenge } from './assertions';
import { useConfig } from '../../support/apply-config';

describe('the fail-closed guard', function () {
  let gw: Gateway;

  before(async function () {
    this.timeout(60000);
    gw = await startGateway();
    await useConfig(gw, kongYml(gw, { guard: true, plugin: oktaJwtConfig(gw, { guard_header: GUARD_HEADER }) }));
  });
  after(async () => gw?.close());
  beforeEach(async () => gw.resetUpstream());

  it('lets a valid token through without showing the marker to the upstream', async () => {
    const res = await get(`${gw.proxyUrl}/echo/x`, bearer(await gw.mint({ scp: ['orders:read'] })));
    expect(res.status, res.text).to.equal(200);
    expect(res.json<{ headers: Record<string, string> }>().headers).to.not.have.property(GUARD_HEADER.toLowerCase());
  });

  it('ignores a marker sent by the client', async () => {
    const res = await send('GET', `${gw.proxyUrl}/echo/x`, [[GUARD_HEADER, 'forged']]);
    expectChallenge(res, 401, null);
    expect(await gw.upstreamRequests()).to.have.length(0);
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
        const res = await get(`${gw.proxyUrl}/echo/bad-${i}`, bearer(`forged.${i}.token`)).catch(() => null);
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
