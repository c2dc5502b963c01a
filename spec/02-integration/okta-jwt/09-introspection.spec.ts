// Token introspection (RFC 7662) through a gateway, against the dev issuer's /v1/introspect and
// /v1/revoke over HTTP: a payments route introspects every write and refuses a revoked token there,
// while its reads and a catalogue route never introspect and still accept it. Answers are reused for
// cache_ttl_seconds; the endpoint failing is a 503 with Retry-After unless a grace was opted into.
import { expect } from 'chai';
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET } from '../../../dev/dev-identity';
import { startGateway, type Gateway } from '../../support/gateway';
import { bearer, get, send } from '../../support/http-client';
import { useConfig } from '../../support/apply-config';
import { kongYml, oktaJwtConfig } from '../../support/kong-config';
import { expectChallenge, expectNoUpstreamRequest, pdkCalls } from './assertions';

const client = { client_id: DEV_CLIENT_ID, client_secret: DEV_CLIENT_SECRET };
const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];

describe('okta-jwt with token introspection', function () {
  let gw: Gateway;
  const url = (path: string) => `${gw.proxyUrl}${path}`;
  const mint = () => gw.mint({ scp: ['orders:read'] });

  before(async function () {
    this.timeout(60000);
    gw = await startGateway();
    const config = kongYml(gw) as { services: Array<{ routes: unknown[] }> };
    const plugin = (extra: Record<string, unknown>) => [{ name: 'okta-jwt', config: oktaJwtConfig(gw, extra) }];
    config.services[0]!.routes.push(
      {
        name: 'payments', paths: ['/payments'],
        plugins: plugin({
          introspection: { ...client, cache_ttl_seconds: 0 },
          rules: [{ paths: ['/payments*'], scopes_required: ['orders:read'], introspection: { mode: 'always', methods: WRITES } }],
        }),
      },
      { name: 'catalogue', paths: ['/catalogue'], plugins: plugin({ introspection: { ...client, mode: 'off' } }) },
      { name: 'cached', paths: ['/cached'], plugins: plugin({ introspection: { ...client, mode: 'always', cache_ttl_seconds: 300 } }) },
      { name: 'grace', paths: ['/grace'], plugins: plugin({ introspection: { ...client, mode: 'always', cache_ttl_seconds: 0, unavailable: 'grace', grace_seconds: 600 } }) },
    );
    await useConfig(gw, config);
  });
  after(async () => {
    await gw?.issuerControl.setFault(null);
    await gw?.close();
  });
  beforeEach(async () => gw.resetUpstream());

  it('refuses a revoked token on a payments write (token_revoked) and still accepts it for reads and on the catalogue', async () => {
    const token = await mint();
    expect((await send('POST', url('/payments/charge'), bearer(token), '{}')).status, 'active before revocation').to.equal(200);
    await gw.issuerControl.revoke(token);
    await gw.resetUpstream();
    expectChallenge(await send('POST', url('/payments/charge'), bearer(token), '{}'), 401, 'invalid_token');
    await expectNoUpstreamRequest(gw);
    expect((await get(url('/payments/history'), bearer(token))).status, 'a read is not introspected').to.equal(200);
    expect((await get(url('/catalogue/items'), bearer(token))).status, 'the catalogue never introspects').to.equal(200);
  });

  it('asks the endpoint once per token within cache_ttl_seconds, and once for concurrent requests', async () => {
    const token = await mint();
    const before = await gw.issuerControl.requestCount('introspect');
    const answers = await Promise.all([1, 2, 3, 4].map(() => get(url('/cached/x'), bearer(token))));
    expect(answers.map((r) => r.status)).to.deep.equal([200, 200, 200, 200]);
    expect((await get(url('/cached/x'), bearer(token))).status).to.equal(200);
    expect(await gw.issuerControl.requestCount('introspect') - before).to.equal(1);
  });

  it('answers 503 with Retry-After while the endpoint fails, never proxying; with grace, accepts a token recently seen active', async () => {
    const token = await mint();
    expect((await get(url('/grace/x'), bearer(token))).status, 'seen active').to.equal(200);
    await gw.issuerControl.setFault({ kind: 'status', status: 503, on: 'introspect' });
    try {
      await gw.resetUpstream();
      const refused = await send('POST', url('/payments/charge'), bearer(token), '{}');
      expect(refused.status, refused.text).to.equal(503);
      expect(refused.headers['retry-after']).to.match(/^[1-9]\d*$/);
      expect(refused.json()).to.deep.equal({ message: 'The token issuer is unavailable; try again later' });
      expect((await get(url('/grace/x'), bearer(await mint()))).status, 'never seen: no grace').to.equal(503);
      await expectNoUpstreamRequest(gw);
      expect((await get(url('/grace/x'), bearer(token))).status, 'within the grace').to.equal(200);
    } finally {
      await gw.issuerControl.setFault(null);
    }
  });

  describe('over the plugin-server protocol (Kong double only)', () => {
    before(function () {
      if (gw.double === null) this.skip();
    });

    it('a route that never introspects costs the same PDK calls as before (one read, one write)', async () => {
      const token = await mint();
      await get(url('/catalogue/items'), bearer(token));
      gw.double!.rpcLog.reset();
      expect((await get(url('/catalogue/items'), bearer(token))).status).to.equal(200);
      expect(pdkCalls(gw)).to.deep.equal(['kong.request.get_headers', 'kong.service.request.set_headers', 'ret']);
    });
  });
});
