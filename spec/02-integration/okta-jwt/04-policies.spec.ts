// Access policies through the gateway: rules per method and path, claim rules, step-up (RFC 9470),
// ID tokens, several issuers, consumers with acl and rate-limiting, anonymous, token sources,
// claims shared with later plugins, dry-run.
import { expect } from 'chai';
import { startGateway, type Gateway } from '../../support/gateway';
import { bearer, get, send } from '../../support/http-client';
import { kongYml, oktaJwtConfig } from '../../support/kong-config';
import { expectChallenge, expectNoUpstreamRequest } from './assertions';
import { useConfig } from '../../support/apply-config';
import type { IssuerControl } from '../../support/issuer-control';

describe('access policies through the gateway', function () {
  let gw: Gateway;

  before(async function () {
    this.timeout(60000);
    gw = await startGateway();
  });
  after(async () => gw?.close());
  beforeEach(async () => gw.resetUpstream());

  async function use(config: Record<string, unknown>, extra: Parameters<typeof kongYml>[1] = {}): Promise<void> {
    await useConfig(gw, kongYml(gw, { ...extra, plugin: oktaJwtConfig(gw, config) }));
  }
  const upstreamHeaders = (res: { json<T>(): T }) => res.json<{ headers: Record<string, string> }>().headers;

  it('applies the first rule matching method and path, and the top-level policy otherwise', async () => {
    await use({
      scopes_required: ['default:read'],
      rules: [
        // Rules see the request path as the client sent it (normalised), route prefix included.
        { methods: ['GET'], paths: ['/echo/orders/*'], scopes_required: ['orders:read'] },
        { methods: ['POST'], paths: ['/echo/orders'], scopes_required: ['orders:write'] },
      ],
    });
    const reader = await gw.mint({ scp: ['orders:read'] });
    expect((await get(`${gw.proxyUrl}/echo/orders/42`, bearer(reader))).status).to.equal(200);
    expectChallenge(await send('POST', `${gw.proxyUrl}/echo/orders`, bearer(reader), ''), 403, 'insufficient_scope');
    const writer = await gw.mint({ scp: ['orders:write'] });
    expect((await send('POST', `${gw.proxyUrl}/echo/orders`, bearer(writer), '')).status).to.equal(200);
    expectChallenge(await get(`${gw.proxyUrl}/echo/other`, bearer(reader)), 403, 'insufficient_scope');
    expect((await get(`${gw.proxyUrl}/echo/other`, bearer(await gw.mint({ scp: ['default:read'] })))).status).to.equal(200);
  });

  it('matches rules against Kong\'s normalised path, so encoded or dotted paths cannot dodge a rule', async () => {
    await use({ scopes_required: [], rules: [{ paths: ['/echo/admin/*'], scopes_required: ['admin'] }] });
    const user = await gw.mint({ scp: ['orders:read'] });
    for (const p of ['/admin/x', '/%61dmin/x', '/x/../admin/x', '//admin/x']) {
      expectChallenge(await get(`${gw.proxyUrl}/echo${p}`, bearer(user)), 403, 'insufficient_scope');
    }
  });

  it('requires claim values (groups) and answers 403 without them', async () => {
    await use({ scopes_required: [], claims_required: [{ claim: 'groups', values: ['Admins'] }] });
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(await gw.mint({ groups: ['Everyone', 'Admins'] })))).status).to.equal(200);
    await gw.resetUpstream();
    expectChallenge(await get(`${gw.proxyUrl}/echo/x`, bearer(await gw.mint({ groups: ['Everyone'] }))), 403, 'insufficient_scope');
    await expectNoUpstreamRequest(gw);
  });

  it('demands MFA and a recent login, answering insufficient_user_authentication with acr_values and max_age', async () => {
    await use({ scopes_required: [], authentication: { amr_values: ['mfa'], acr_values: [], max_age_seconds: 300 } });
    const now = Math.floor(Date.now() / 1000);
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(await gw.mint({ amr: ['pwd', 'mfa'], auth_time: now - 60 })))).status).to.equal(200);
    const noMfa = await get(`${gw.proxyUrl}/echo/x`, bearer(await gw.mint({ amr: ['pwd'], auth_time: now - 60 })));
    expectChallenge(noMfa, 401, 'insufficient_user_authentication');
    expect(String(noMfa.headers['www-authenticate'])).to.include('max_age=300');
    const stale = await get(`${gw.proxyUrl}/echo/x`, bearer(await gw.mint({ amr: ['mfa'], auth_time: now - 3600 })));
    expectChallenge(stale, 401, 'insufficient_user_authentication');
    expect(String(stale.headers['www-authenticate'])).to.include('max_age=300');
  });

  it('refuses an Okta ID token presented as an access token', async () => {
    await use({});
    const idToken = await gw.mint({ scp: ['orders:read'], nonce: 'n-0S6_WzA2Mj', at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q', jti: 'ID.abc' });
    expectChallenge(await get(`${gw.proxyUrl}/echo/x`, bearer(idToken)), 401, 'invalid_token');
    await expectNoUpstreamRequest(gw);
  });

  describe('several issuers (a second authorization server of the dev issuer)', () => {
    let second: IssuerControl;
    before(async () => {
      second = await gw.issuerControl.authServer('/oauth2/aus2nd');
    });

    it('verifies each issuer\'s tokens with its own keys and audiences', async () => {
      await use({ additional_issuers: [{ issuer: second.issuer, audiences: ['api://second'] }] });
      expect((await get(`${gw.proxyUrl}/echo/x`, bearer(await second.mint({ scp: ['orders:read'], aud: 'api://second' })))).status).to.equal(200);
      expect((await get(`${gw.proxyUrl}/echo/x`, bearer(await gw.mint({ scp: ['orders:read'] })))).status).to.equal(200);
      expectChallenge(await get(`${gw.proxyUrl}/echo/x`, bearer(await second.mint({ scp: ['orders:read'] }))), 401, 'invalid_token');
    });
  });

  describe('consumers', () => {
    const consumers = [
      { username: 'alice@example.com', custom_id: 'c-1', acls: [{ group: 'admins' }] },
      { username: 'bob@example.com', acls: [{ group: 'readers' }] },
      { username: 'anonymous-user' },
    ];
    const acl = { name: 'acl', config: { allow: ['admins'] } };

    it('authenticates the consumer named by sub, so acl applies, and sets the consumer headers', async () => {
      await use({ consumer_claim: 'sub' }, { consumers, routePlugins: [acl] });
      const alice = await get(`${gw.proxyUrl}/echo/x`, [...bearer(await gw.mint({ sub: 'alice@example.com', scp: ['orders:read'] })), ['X-Consumer-Username', 'spoofed']]);
      expect(alice.status, alice.text).to.equal(200);
      const headers = upstreamHeaders(alice);
      expect(headers['x-consumer-username']).to.equal('alice@example.com');
      expect(headers['x-consumer-custom-id']).to.equal('c-1');
      expect(headers['x-consumer-id']).to.match(/^[0-9a-f-]{36}$/);
      expect(headers['x-credential-identifier']).to.equal('alice@example.com');
      expect(headers['x-consumer-groups']).to.equal('admins');
      const bob = await get(`${gw.proxyUrl}/echo/x`, bearer(await gw.mint({ sub: 'bob@example.com', scp: ['orders:read'] })));
      expect(bob.status).to.equal(403);
    });

    it('removes a client\'s X-Consumer-* headers when the token names no consumer and no other plugin authenticated the request', async () => {
      await use({ consumer_claim: 'preferred_username' }, { consumers });
      const forged: Array<[string, string]> = [['X-Consumer-Username', 'alice@example.com'], ['X-Consumer-ID', '00000000-0000-4000-8000-000000000001'], ['X-Credential-Identifier', 'alice']];
      const res = await get(`${gw.proxyUrl}/echo/x`, [...bearer(await gw.mint({ sub: 'mallory@example.com', scp: ['orders:read'] })), ...forged]);
      expect(res.status, res.text).to.equal(200);
      const headers = upstreamHeaders(res);
      for (const [name] of forged) expect(headers, name).to.not.have.property(name.toLowerCase());
    });

    it('refuses a token without a consumer when consumers are required', async () => {
      await use({ consumer_claim: 'sub', consumer_required: true }, { consumers });
      expectChallenge(await get(`${gw.proxyUrl}/echo/x`, bearer(await gw.mint({ sub: 'mallory@example.com', scp: ['orders:read'] }))), 403, 'insufficient_scope');
      await expectNoUpstreamRequest(gw);
    });

    it('lets rate-limiting count per consumer', async () => {
      await use({ consumer_claim: 'sub' }, { consumers, routePlugins: [{ name: 'rate-limiting', config: { minute: 1000, limit_by: 'consumer' } }] });
      const token = await gw.mint({ sub: 'alice@example.com', scp: ['orders:read'] });
      const first = await get(`${gw.proxyUrl}/echo/x`, bearer(token));
      const second = await get(`${gw.proxyUrl}/echo/x`, bearer(token));
      expect(Number(second.headers['x-ratelimit-remaining-minute'])).to.equal(Number(first.headers['x-ratelimit-remaining-minute']) - 1);
    });

    it('falls back to the anonymous consumer for a missing or invalid token, marking it and stripping spoofed identity', async () => {
      await use({ consumer_claim: 'sub', anonymous: 'anonymous-user' }, { consumers });
      const res = await get(`${gw.proxyUrl}/echo/x`, [['X-User-Sub', 'admin']]);
      expect(res.status, res.text).to.equal(200);
      const headers = upstreamHeaders(res);
      expect(headers['x-anonymous-consumer']).to.equal('true');
      expect(headers['x-consumer-username']).to.equal('anonymous-user');
      expect(headers).to.not.have.property('x-user-sub');
      expect((await get(`${gw.proxyUrl}/echo/x`, bearer('not.a.jwt'))).status).to.equal(200);
    });

    it('answers 500, never proxies, when the configured anonymous consumer does not exist', async () => {
      await use({ anonymous: 'no-such-consumer' }, { consumers });
      expect((await get(`${gw.proxyUrl}/echo/x`)).status).to.equal(500);
      await expectNoUpstreamRequest(gw);
    });
  });

  it('takes the token from a configured query parameter or cookie, and refuses two credentials with 400 invalid_request', async () => {
    await use({ token_query_param: 'access_token', token_cookie: 'okta_at' });
    const token = await gw.mint({ scp: ['orders:read'] });
    expect((await get(`${gw.proxyUrl}/echo/x?access_token=${token}`)).status).to.equal(200);
    expect((await get(`${gw.proxyUrl}/echo/x`, [['Cookie', `theme=dark; okta_at=${token}`]])).status).to.equal(200);
    expectChallenge(await get(`${gw.proxyUrl}/echo/x?access_token=${token}`, bearer(token)), 400, 'invalid_request');
    expectChallenge(await get(`${gw.proxyUrl}/echo/x`, [...bearer(token), ['Cookie', `okta_at=${token}`]]), 400, 'invalid_request');
  });

  it('refuses a repeated token query parameter, and with hide_credentials removes the token from the query or cookie it came in', async () => {
    await use({ token_query_param: 'access_token', token_cookie: 'okta_at', hide_credentials: true });
    const token = await gw.mint({ scp: ['orders:read'] });
    expectChallenge(await get(`${gw.proxyUrl}/echo/x?access_token=${token}&access_token=${token}`), 400, 'invalid_request');
    const fromQuery = await get(`${gw.proxyUrl}/echo/x?a=1&access_token=${token}&b=2`);
    expect(fromQuery.status).to.equal(200);
    expect(fromQuery.json<{ url: string }>().url).to.equal('/x?a=1&b=2');
    const fromCookie = await get(`${gw.proxyUrl}/echo/x`, [['Cookie', `theme=dark; okta_at=${token}`]]);
    expect(fromCookie.status).to.equal(200);
    expect(fromCookie.json<{ headers: Record<string, string> }>().headers.cookie).to.equal('theme=dark');
  });

  it('shares the verified claims with later plugins through kong.ctx.shared (Kong double only: read from the RPC stream)', async function () {
    if (gw.double === null) this.skip();
    await use({ shared_claims_key: 'okta_claims' });
    gw.double.rpcLog.reset();
    expect((await get(`${gw.proxyUrl}/echo/x`, bearer(await gw.mint({ sub: 'alice@example.com', scp: ['orders:read'] })))).status).to.equal(200);
    const call = gw.double.rpcLog.frames
      .map((f) => (f.frame[3] as { Data?: { Method?: string; Args?: unknown[] } } | null)?.Data)
      .find((d) => d?.Method === 'kong.ctx.shared.set');
    expect(call?.Args?.[0]).to.equal('okta_claims');
    expect(call?.Args?.[1]).to.include({ sub: 'alice@example.com', iss: gw.issuer });
  });

  it('in dry-run, lets refused requests through but still strips spoofed headers', async () => {
    await use({ dry_run: true });
    const res = await get(`${gw.proxyUrl}/echo/x`, [['X-User-Sub', 'admin']]);
    expect(res.status).to.equal(200);
    expect(upstreamHeaders(res)).to.not.have.property('x-user-sub');
  });
});
