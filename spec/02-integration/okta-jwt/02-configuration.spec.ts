// Enabling and changing okta-jwt the way operators do: a kong.yml (POST /config DB-less, the same
// entities through the Admin API in DB mode) scoped to a route, a service or globally; Admin API
// writes one by one (DB mode); config changes; invalid configs. Every change is waited for (apply-config.ts).
import { expect } from 'chai';
import { startGateway, type Gateway } from '../../support/gateway';
import { bearer, get, type HttpResponse } from '../../support/http-client';
import { kongYml, oktaJwtConfig } from '../../support/kong-config';
import { expectChallenge } from './assertions';
import { applyConfig, useConfig, waitForConfig } from '../../support/apply-config';

/** The double's nginx workers (startKongDouble's default). */
const WORKERS = 2;

describe('enabling okta-jwt with declarative config', function () {
  let gw: Gateway;
  let token: string;

  before(async function () {
    this.timeout(60000);
    gw = await startGateway();
    token = await gw.mint({ scp: ['orders:read'] });
  });
  after(async () => gw?.close());

  const load = (config: Record<string, unknown>) => useConfig(gw, config);

  it('per route: protects that route only', async () => {
    await load(kongYml(gw, { scope: 'route' }));
    expectChallenge(await get(`${gw.proxyUrl}/echo/x`), 401, null);
    expect((await get(`${gw.proxyUrl}/open/x`)).status).to.equal(200);
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(token))).status).to.equal(200);
  });

  it('per service: protects every route of the service', async () => {
    await load(kongYml(gw, { scope: 'service' }));
    expectChallenge(await get(`${gw.proxyUrl}/echo/x`), 401, null);
    expectChallenge(await get(`${gw.proxyUrl}/open/x`), 401, null);
    expect((await get(`${gw.proxyUrl}/open/x`, bearer(token))).status).to.equal(200);
  });

  it('globally: protects every route', async () => {
    await load(kongYml(gw, { scope: 'global' }));
    expectChallenge(await get(`${gw.proxyUrl}/open/x`), 401, null);
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(token))).status).to.equal(200);
  });

  it('applies a changed config to the next request', async () => {
    await load(kongYml(gw));
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(token))).status).to.equal(200);
    await load(kongYml(gw, { plugin: oktaJwtConfig(gw, { scopes_required: ['orders:write'] }) }));
    expectChallenge(await get(`${gw.proxyUrl}/echo/x`, bearer(token)), 403, 'insufficient_scope');
  });

  it('starts a new plugin instance and closes the old one after a config change (Kong double only)', async function () {
    if (gw.double === null) this.skip();
    await load(kongYml(gw));
    // Every worker caches its own instance, and the sentinel polls spread requests over the workers:
    // warm each worker (requests go round-robin), then read the frames of the worker that served the next one.
    for (let i = 0; i < WORKERS; i++) await get(`${gw.proxyUrl}/echo/x`, bearer(token));
    gw.double.rpcLog.reset();
    await load(kongYml(gw));
    await get(`${gw.proxyUrl}/echo/x`, bearer(token));
    const sent = gw.double.rpcLog.frames.filter((f) => f.server === 'okta-jwt' && f.dir === 'kong->ps');
    const served = sent.find((f) => f.method === 'plugin.HandleEvent')!.worker;
    expect(sent.filter((f) => f.worker === served).map((f) => f.method).slice(0, 3)).to.deep.equal(['plugin.StartInstance', 'plugin.CloseInstance', 'plugin.HandleEvent']);
  });

  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a config without issuer', { audiences: ['api://default'] }, /issuer.*required field missing/],
    ['an empty audience list', { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: [] }, /audiences/],
    ['the Okta org authorization server as issuer', { issuer: 'https://dev-1.okta.com', audiences: ['a'] }, /issuer.*must be an Okta custom authorization server/],
    ['a claim path with an empty segment', { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['a'], claims_to_headers: [{ claim: 'profile..email', header: 'X-Email' }] }, /claim.*has an empty path segment/],
    ['the fail-closed guard\'s key as shared_claims_key', { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['a'], shared_claims_key: 'okta_jwt_guard' }, /shared_claims_key.*is the fail-closed guard's key: choose another name/],
    ['an HMAC algorithm', { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['a'], allowed_algorithms: ['HS256'] }, /allowed_algorithms.*expected one of/],
    ['a header name with a space', { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['a'], claims_to_headers: [{ claim: 'sub', header: 'X Bad' }] }, /header.*invalid value/],
    ['a claim mapped to Host (Kong would route on it; it used to fail only at the first request, with a 500)', { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['a'], claims_to_headers: [{ claim: 'sub', header: 'Host' }] }, /claims_to_headers.*header.*host\\" is reserved/],
    ['a claim mapped to a framing header in any case', { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['a'], claims_to_headers: [{ claim: 'sub', header: 'X-A' }, { claim: 'cid', header: 'tRANSFER-eNCODING' }] }, /claims_to_headers.*header.*transfer-encoding\\" is reserved/],
    ['an unknown field', { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['a'], no_such_field: 1 }, /no_such_field.*unknown field/],
    ['a leeway beyond five minutes', { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['a'], leeway_seconds: 3600 }, /leeway_seconds.*between 0 and 300/],
  ];
  const refuses = async (config: Record<string, unknown>, message: RegExp) => {
    await load(kongYml(gw));
    const res = await applyConfig(gw, kongYml(gw, { plugin: config }));
    expect(res.status).to.equal(400);
    expect(res.text).to.match(message);
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(token))).status).to.equal(200);
  };
  for (const [what, config, message] of invalid) {
    it(`refuses ${what} with a 400 naming the field, keeping the old config`, () => refuses(config, message));
  }

  // Cross-field rules, in the config record's entity_checks: okta-jwt-pluginserver puts them in the plugin
  // info; kong-pdk's stock server builds that record itself without them (the plugin then refuses such a
  // config when it first runs, with a 500 on every request).
  const crossField: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'a plain-http issuer without allow_insecure_issuer (once accepted, then a 500 on every request)',
      { issuer: 'http://dev-123.okta.com/oauth2/default', audiences: ['a'] },
      /"issuer":"must use https \(or set allow_insecure_issuer for a development issuer/,
    ],
    ['consumer_required without consumer_claim', { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['a'], consumer_required: true }, /consumer_claim\W+required field missing/],
    ['unmatched_requests "deny" without rules', { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['a'], unmatched_requests: 'deny' }, /unmatched_requests \\?"deny\\?" refuses every request when there are no rules: add rules/],
  ];
  for (const [what, config, message] of crossField) {
    it(`refuses ${what} with a 400 naming the field and the fix, keeping the old config`, async function () {
      if (process.env.OKTA_JWT_PLUGIN_SERVER === 'stock') this.skip();
      await refuses(config, message);
    });
  }
});

describe('enabling okta-jwt through the Admin API (DB mode)', function () {
  let gw: Gateway;
  let token: string;

  before(async function () {
    this.timeout(60000);
    gw = await startGateway();
    // A DB-less gateway answers 405 to Admin API writes: these run in the DB-mode pass (KONG_DATABASE=postgres).
    if (gw.database === 'off') this.skip();
    await useConfig(gw, { _format_version: '3.0' }); // a clean database, also when a previous run left entities
    token = await gw.mint({ scp: ['orders:read'] });
  });
  after(async () => gw?.close());

  async function created(res: Promise<HttpResponse>): Promise<Record<string, unknown>> {
    const r = await res;
    expect(r.status, r.text).to.equal(201);
    return r.json();
  }

  it('protects a route once the plugin is created on it, follows PATCH, and stops at DELETE', async () => {
    await created(gw.admin('POST', '/services', { name: 'admin-echo', url: gw.upstreamUrl }));
    await created(gw.admin('POST', '/services/admin-echo/routes', { name: 'admin-route', paths: ['/admin-echo'] }));
    await waitForConfig(gw);
    expect((await get(`${gw.proxyUrl}/admin-echo/x`)).status).to.equal(200);

    const plugin = await created(gw.admin('POST', '/routes/admin-route/plugins', { name: 'okta-jwt', config: oktaJwtConfig(gw) }));
    await waitForConfig(gw);
    expectChallenge(await get(`${gw.proxyUrl}/admin-echo/x`), 401, null);
    expect((await get(`${gw.proxyUrl}/admin-echo/x`, bearer(token))).status).to.equal(200);

    const patched = await gw.admin('PATCH', `/plugins/${plugin.id}`, { config: { scopes_required: ['orders:write'] } });
    expect(patched.status, patched.text).to.equal(200);
    await waitForConfig(gw);
    expectChallenge(await get(`${gw.proxyUrl}/admin-echo/x`, bearer(token)), 403, 'insufficient_scope');

    expect((await gw.admin('DELETE', `/plugins/${plugin.id}`)).status).to.equal(204);
    await waitForConfig(gw);
    expect((await get(`${gw.proxyUrl}/admin-echo/x`)).status).to.equal(200);
  });

  it('protects a whole service, and every service when created globally', async () => {
    await created(gw.admin('POST', '/services', { name: 'svc2', url: gw.upstreamUrl }));
    await created(gw.admin('POST', '/services/svc2/routes', { name: 'svc2-a', paths: ['/svc2-a'] }));
    await created(gw.admin('POST', '/services/svc2/routes', { name: 'svc2-b', paths: ['/svc2-b'] }));
    const onService = await created(gw.admin('POST', '/services/svc2/plugins', { name: 'okta-jwt', config: oktaJwtConfig(gw) }));
    await waitForConfig(gw);
    expectChallenge(await get(`${gw.proxyUrl}/svc2-a/x`), 401, null);
    expectChallenge(await get(`${gw.proxyUrl}/svc2-b/x`), 401, null);
    expect((await gw.admin('DELETE', `/plugins/${onService.id}`)).status).to.equal(204);

    const global = await created(gw.admin('POST', '/plugins', { name: 'okta-jwt', config: oktaJwtConfig(gw) }));
    await waitForConfig(gw);
    expectChallenge(await get(`${gw.proxyUrl}/svc2-b/x`), 401, null);
    expect((await get(`${gw.proxyUrl}/svc2-b/x`, bearer(token))).status).to.equal(200);
    expect((await gw.admin('DELETE', `/plugins/${global.id}`)).status).to.equal(204);
  });

  it('refuses a plain-http issuer without allow_insecure_issuer with 400 naming the field and the switch, and accepts it with the switch', async function () {
    if (process.env.OKTA_JWT_PLUGIN_SERVER === 'stock') this.skip(); // see crossField above
    const config = { ...oktaJwtConfig(gw), issuer: 'http://dev-123.okta.com/oauth2/default', allow_insecure_issuer: false };
    const res = await gw.admin('POST', '/plugins', { name: 'okta-jwt', config });
    expect(res.status, res.text).to.equal(400);
    const body = res.json<{ name: string; fields: { config: Record<string, unknown> } }>();
    expect(body.name).to.equal('schema violation');
    expect(body.fields.config.issuer).to.match(/^must use https \(or set allow_insecure_issuer for a development issuer/);
    expect(body.fields.config['@entity']).to.deep.equal(["failed conditional validation given value of field 'allow_insecure_issuer'"]);
    const valid = await gw.admin('POST', '/schemas/plugins/validate', { name: 'okta-jwt', config: { ...config, allow_insecure_issuer: true } });
    expect(valid.status, valid.text).to.equal(200);
  });

  it('answers an invalid plugin config with a schema violation naming the field', async () => {
    const res = await gw.admin('POST', '/plugins', { name: 'okta-jwt', config: { issuer: 'https://dev-1.okta.com', audiences: ['a'] } });
    expect(res.status).to.equal(400);
    const body = res.json<{ name: string; fields: { config: Record<string, unknown> } }>();
    expect(body.name).to.equal('schema violation');
    expect(body.fields.config).to.have.property('issuer');
  });
});
