// Method overrides through the gateway: where rules distinguish methods, a header such as
// X-HTTP-Method-Override or a POST's `_method` parameter must not reach an upstream that would act
// on another method than the one the rules judged (method_override: refuse by default, or strip).
import { expect } from 'chai';
import { startGateway, type Gateway } from '../../support/gateway';
import { bearer, get, send } from '../../support/http-client';
import { kongYml, oktaJwtConfig } from '../../support/kong-config';
import { useConfig } from '../../support/apply-config';
import { expectChallenge, expectNoUpstreamRequest, pdkCalls } from './assertions';

describe('method overrides where rules distinguish methods', function () {
  let gw: Gateway;
  let writer: string;
  const orders = () => `${gw.proxyUrl}/echo/orders`;
  const rules = [
    { methods: ['DELETE'], paths: ['/echo/orders', '/echo/orders/*'], scopes_required: ['orders:admin'] },
    { methods: ['POST'], scopes_required: ['orders:write'] },
  ];

  before(async function () {
    this.timeout(60000);
    gw = await startGateway();
    writer = await gw.mint({ scp: ['orders:read', 'orders:write'] });
  });
  after(async () => gw?.close());
  beforeEach(async () => gw.resetUpstream());

  const use = (extra: Record<string, unknown>) => useConfig(gw, kongYml(gw, { plugin: oktaJwtConfig(gw, { scopes_required: ['orders:read'], ...extra }) }));
  const post = (url: string, headers: Array<[string, string]> = []) => send('POST', url, [...bearer(writer), ...headers], '');
  const upstream = (res: { json<T>(): T }) => res.json<{ url: string; headers: Record<string, string> }>();

  describe('by default (refuse)', () => {
    before(async function () {
      this.timeout(60000);
      await use({ rules });
    });

    it('refuses an override header in any spelling, and a POST\'s _method parameter, with 400 invalid_request', async () => {
      for (const name of ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override', 'x_http_method_override']) {
        expectChallenge(await post(orders(), [[name, 'DELETE']]), 400, 'invalid_request');
      }
      for (const query of ['_method=DELETE', 'a=1&_method=DELETE', '%5Fmethod=DELETE', 'a=1;_method=DELETE']) {
        expectChallenge(await post(`${orders()}?${query}`), 400, 'invalid_request');
      }
      await expectNoUpstreamRequest(gw);
    });

    it('lets requests without an override through, and a _method parameter outside a POST (no framework obeys it there)', async () => {
      expect((await post(orders())).status).to.equal(200);
      expect((await get(`${orders()}?_method=DELETE`, bearer(writer))).status).to.equal(200);
    });

    it('reads the query string only for POST requests (Kong double only: the PDK calls)', async function () {
      if (gw.double === null) this.skip();
      await get(orders(), bearer(writer));
      gw.double!.rpcLog.reset();
      expect((await get(orders(), bearer(writer))).status).to.equal(200);
      expect(pdkCalls(gw)).to.deep.equal(['kong.request.get_headers', 'kong.request.get_method', 'kong.request.get_path', 'kong.service.request.set_headers', 'ret']);
      gw.double!.rpcLog.reset();
      expect((await post(orders())).status).to.equal(200);
      expect(pdkCalls(gw)).to.deep.equal(['kong.request.get_headers', 'kong.request.get_method', 'kong.request.get_path', 'kong.request.get_raw_query', 'kong.service.request.set_headers', 'ret']);
    });
  });

  it('strip: removes override headers and the _method parameter before the request goes upstream', async () => {
    await use({ rules, method_override: 'strip' });
    const res = await post(`${orders()}?_method=DELETE&page=2`, [['X-HTTP-Method-Override', 'DELETE'], ['X_Method_Override', 'DELETE']]);
    expect(res.status, res.text).to.equal(200);
    const seen = upstream(res);
    expect(seen.url).to.equal('/orders?page=2');
    expect(Object.keys(seen.headers).filter((h) => /method/i.test(h))).to.deep.equal([]);
  });

  it('pass, or no rule naming methods: overrides reach the upstream as before', async () => {
    await use({ rules, method_override: 'pass' });
    expect(upstream(await post(orders(), [['X-HTTP-Method-Override', 'DELETE']])).headers['x-http-method-override']).to.equal('DELETE');
    await use({ rules: [{ paths: ['/echo/admin/*'], scopes_required: ['admin'] }] });
    expect(upstream(await post(orders(), [['X-HTTP-Method-Override', 'DELETE']])).headers['x-http-method-override']).to.equal('DELETE');
  });
});
