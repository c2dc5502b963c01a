import { expect } from 'chai';
import { CompactSign, SignJWT } from 'jose';
import { decide, mayLogRequest } from '../../../plugin/core/decide';
import type { Allow, Decision, Deny } from '../../../plugin/vocabulary/decision';
import type { RequestView } from '../../../plugin/vocabulary/request';
import type { KeySet } from '../../../plugin/keys';
import type { KeySets } from '../../../plugin/verify/verify-token';
import { normaliseConfig } from '../../../plugin/config/normalise';
import { resetVerifiedTokens } from '../../../plugin/cache/verified-tokens';
import { newSigner, oktaClaims, signToken, staticKeySet, TEST_AUDIENCE, TEST_ISSUER, type TestSigner } from '../../support/test-keys';

function config(extra: Record<string, unknown> = {}) {
  return normaliseConfig({
    issuer: TEST_ISSUER,
    audiences: [TEST_AUDIENCE],
    scopes_required: ['orders:read'],
    claims_to_headers: [
      { claim: 'sub', header: 'X-User-Sub' },
      { claim: 'scp', header: 'X-Token-Scopes' },
      { claim: 'profile.email', header: 'X-User-Email' },
    ],
    ...extra,
  });
}

function view(headers: Record<string, string[]>, extra: Partial<RequestView> = {}): RequestView {
  return { headers, method: null, path: null, rawQuery: null, alreadyAuthenticated: false, ...extra };
}
const bearer = (token: string, more: Record<string, string[]> = {}, extra: Partial<RequestView> = {}) => view({ authorization: [`Bearer ${token}`], ...more }, extra);
const only = (keySet: KeySet): KeySets => new Map([[TEST_ISSUER, keySet]]);

function expectDeny(d: Decision, status: number, error: string | null, reason: string): Deny {
  expect(d.kind, JSON.stringify(d)).to.equal('deny');
  const deny = d as Deny;
  expect(deny.status).to.equal(status);
  expect(deny.reason).to.equal(reason);
  const challenge = deny.headers['WWW-Authenticate'];
  expect(challenge).to.match(/^Bearer realm="okta-jwt"/);
  if (error === null) expect(challenge).to.not.include('error=');
  else expect(challenge).to.include(`error="${error}"`);
  expect(deny.body).to.have.keys(['message']);
  return deny;
}

describe('deciding on a request (pure core, real keys)', () => {
  let signer: TestSigner;
  let keys: ReturnType<typeof staticKeySet>;
  let sets: KeySets;

  before(async () => {
    signer = await newSigner();
  });
  beforeEach(() => {
    resetVerifiedTokens();
    keys = staticKeySet([signer.publicJwk]);
    sets = only(keys);
  });

  it('allows a valid Okta access token and maps its claims to headers', async () => {
    const token = await signToken(signer, oktaClaims());
    const d = (await decide(bearer(token), config(), sets)) as Allow;
    expect(d.kind).to.equal('allow');
    expect(d.setHeaders).to.deep.equal({ 'X-User-Sub': 'alice@example.com', 'X-Token-Scopes': 'orders:read, openid' });
    expect(d.clearHeaders).to.deep.equal([]);
  });

  it('clears a client-sent copy of a mapped header whose claim is absent', async () => {
    const token = await signToken(signer, oktaClaims());
    const d = (await decide(bearer(token, { 'x-user-email': ['spoofed@evil'] }), config(), sets)) as Allow;
    expect(d.clearHeaders).to.deep.equal(['x-user-email']);
    expect(d.setHeaders).to.not.have.property('X-User-Email');
  });

  it('removes the token from the upstream request when hide_credentials is on', async () => {
    const token = await signToken(signer, oktaClaims());
    const d = (await decide(bearer(token), config({ hide_credentials: true }), sets)) as Allow;
    expect(d.clearHeaders).to.deep.equal(['authorization']);
  });

  it('answers a bare challenge when no token is sent', async () => {
    expectDeny(await decide(view({}), config(), sets), 401, null, 'token_missing');
  });

  it('answers 400 invalid_request for two Authorization headers', async () => {
    const token = await signToken(signer, oktaClaims());
    expectDeny(await decide(view({ authorization: [`Bearer ${token}`, `Bearer ${token}`] }), config(), sets), 400, 'invalid_request', 'request_invalid');
  });

  const invalid: Array<[string, () => Promise<string>, string]> = [
    ['an expired token', () => signToken(signer, oktaClaims({ iat: now() - 7200, exp: now() - 3600 })), 'token_expired'],
    ['a token not valid yet', () => signToken(signer, oktaClaims({ nbf: now() + 600 })), 'token_not_yet_valid'],
    ['a token issued in the future', () => signToken(signer, oktaClaims({ iat: now() + 600, exp: now() + 4000 })), 'token_not_yet_valid'],
    ['a token older than max_token_age_seconds', () => signToken(signer, oktaClaims({ iat: now() - 90000, exp: now() + 60 })), 'token_too_old'],
    ['another audience', () => signToken(signer, oktaClaims({ aud: 'api://other' })), 'bad_audience'],
    ['another issuer', () => signToken(signer, oktaClaims({ iss: 'https://dev-1.okta.com/oauth2/other' })), 'bad_issuer'],
    ['the org authorization server issuer', () => signToken(signer, oktaClaims({ iss: 'https://dev-123.okta.com' })), 'bad_issuer'],
    ['an issuer with a trailing slash', () => signToken(signer, oktaClaims({ iss: `${TEST_ISSUER}/` })), 'bad_issuer'],
    ['a missing exp', () => signToken(signer, oktaClaims({ exp: undefined })), 'token_malformed'],
    ['a string exp', () => signToken(signer, oktaClaims({ exp: String(now() + 60) })), 'token_malformed'],
    ['exp before iat', () => signToken(signer, oktaClaims({ iat: now() + 10, exp: now() + 5 })), 'token_malformed'],
    ['a lifetime longer than max_token_age_seconds', () => signToken(signer, oktaClaims({ exp: now() + 86400 * 30 })), 'token_malformed'],
    ['an absurd exp (1e309 = Infinity)', () => rawSigned(signer, `{"iss":"${TEST_ISSUER}","aud":"${TEST_AUDIENCE}","iat":${now()},"exp":1e309,"scp":["orders:read"]}`), 'token_malformed'],
    ['an ID token (nonce)', () => signToken(signer, oktaClaims({ nonce: 'n' })), 'bad_token_type'],
    ['an ID token (jti ID.)', () => signToken(signer, oktaClaims({ jti: 'ID.abc' })), 'bad_token_type'],
    ['a dpop+jwt typed token', () => signToken(signer, oktaClaims(), { typ: 'dpop+jwt' }), 'bad_token_type'],
    ['a tampered payload', async () => tamper(await signToken(signer, oktaClaims())), 'bad_signature'],
    ['a key the issuer never published, with its kid', async () => signToken({ ...(await newSigner()), kid: signer.kid }, oktaClaims()), 'bad_signature'],
    ['an unknown kid', async () => signToken(await newSigner(), oktaClaims()), 'unknown_key'],
    ['alg none with an empty signature', async () => unsigned(oktaClaims()), 'token_malformed'],
    ['alg none with a leftover signature', async () => unsigned(oktaClaims()) + 'c2ln', 'bad_algorithm'],
    ['RS512 when only RS256 is allowed', async () => signToken({ ...(await newSigner('RS512')), kid: signer.kid }, oktaClaims()), 'bad_algorithm'],
    ['HS256 keyed with the public key', async () => hs256WithPublicKey(signer), 'bad_algorithm'],
    ['garbage', async () => 'not-a-jwt', 'token_malformed'],
    ['a padded signature', async () => (await signToken(signer, oktaClaims())) + '==', 'token_malformed'],
    ['a token over max_token_bytes', async () => signToken(signer, oktaClaims({ pad: 'x'.repeat(9000) })), 'token_malformed'],
  ];
  for (const [what, make, reason] of invalid) {
    it(`refuses ${what} with 401 invalid_token (${reason})`, async () => {
      const d = await decide(bearer(await make()), config(), sets);
      const deny = expectDeny(d, 401, 'invalid_token', reason);
      expect(deny.headers['WWW-Authenticate']).to.match(/error_description="[^"\\]+"/);
    });
  }

  it('refuses a missing scope with 403 insufficient_scope naming the scope', async () => {
    const token = await signToken(signer, oktaClaims({ scp: ['profile'] }));
    const deny = expectDeny(await decide(bearer(token), config(), sets), 403, 'insufficient_scope', 'scope_missing');
    expect(deny.headers['WWW-Authenticate']).to.include('scope="orders:read"');
  });

  it('refuses a token whose mapped claim holds CR/LF instead of writing it', async () => {
    const token = await signToken(signer, oktaClaims({ sub: 'alice\r\nX-Admin: true' }));
    expectDeny(await decide(bearer(token), config(), sets), 401, 'invalid_token', 'claim_unsafe');
  });

  it('answers 503 with Retry-After when no keys can be had', async () => {
    const token = await signToken(signer, oktaClaims());
    const d = (await decide(bearer(token), config(), only(staticKeySet([], { unavailable: true })))) as Deny;
    expect(d).to.deep.include({ kind: 'deny', status: 503, reason: 'keys_unavailable' });
    expect(d.headers['Retry-After']).to.equal('7');
  });

  it('lets a CORS preflight through when run_on_preflight is off, and only a real one', async () => {
    const preflight = { origin: ['https://app'], 'access-control-request-method': ['GET'] };
    expect((await decide(view(preflight, { method: 'OPTIONS' }), config({ run_on_preflight: false }), sets)).kind).to.equal('pass');
    expect((await decide(view(preflight, { method: 'GET' }), config({ run_on_preflight: false }), sets)).kind).to.equal('deny');
    expect((await decide(view(preflight, { method: 'OPTIONS' }), config(), sets)).kind).to.equal('deny');
  });

  it('answers a repeated token from the verified-token cache without a key lookup', async () => {
    const token = await signToken(signer, oktaClaims());
    await decide(bearer(token), config(), sets);
    const lookups = keys.lookups;
    expect((await decide(bearer(token), config(), sets)).kind).to.equal('allow');
    expect(keys.lookups).to.equal(lookups);
  });

  it('re-verifies a cached token once its key leaves the key set', async () => {
    const token = await signToken(signer, oktaClaims());
    expect((await decide(bearer(token), config(), sets)).kind).to.equal('allow');
    expectDeny(await decide(bearer(token), config(), only(staticKeySet([]))), 401, 'invalid_token', 'unknown_key');
  });

  it('verifies every time when the token cache is disabled', async () => {
    const token = await signToken(signer, oktaClaims());
    const c = config({ token_cache: { max_entries: 0 } });
    await decide(bearer(token), c, sets);
    await decide(bearer(token), c, sets);
    expect(keys.lookups).to.equal(2);
  });

  describe('with several issuers', () => {
    const OTHER = 'https://login.example.com/oauth2/aus123';
    let otherSigner: TestSigner;
    before(async () => {
      otherSigner = await newSigner();
    });
    const multi = () => config({ additional_issuers: [{ issuer: OTHER, audiences: ['api://orders'] }] });
    const both = () => new Map([[TEST_ISSUER, keys], [OTHER, staticKeySet([otherSigner.publicJwk])]]);

    it('verifies each token with its own issuer\'s keys and audiences', async () => {
      const token = await signToken(otherSigner, oktaClaims({ iss: OTHER, aud: 'api://orders' }));
      expect((await decide(bearer(token), multi(), both())).kind).to.equal('allow');
      const wrongAud = await signToken(otherSigner, oktaClaims({ iss: OTHER }));
      expectDeny(await decide(bearer(wrongAud), multi(), both()), 401, 'invalid_token', 'bad_audience');
    });

    it('never accepts one issuer\'s key for another issuer\'s tokens', async () => {
      const forged = await signToken({ ...signer, kid: signer.kid }, oktaClaims({ iss: OTHER, aud: 'api://orders' }));
      expectDeny(await decide(bearer(forged), multi(), both()), 401, 'invalid_token', 'unknown_key');
    });

    it('refuses an untrusted issuer before touching any key set', async () => {
      const token = await signToken(signer, oktaClaims({ iss: 'https://evil.example.com/oauth2/default' }));
      const before = keys.lookups;
      expectDeny(await decide(bearer(token), multi(), both()), 401, 'invalid_token', 'bad_issuer');
      expect(keys.lookups).to.equal(before);
    });
  });

  describe('token sources', () => {
    it('takes the token from a configured cookie or query parameter', async () => {
      const token = await signToken(signer, oktaClaims());
      expect((await decide(view({ cookie: [`a=1; at=${token}; b=2`] }), config({ token_cookie: 'at' }), sets)).kind).to.equal('allow');
      expect((await decide(view({}, { rawQuery: `access_token=${token}` }), config({ token_query_param: 'access_token' }), sets)).kind).to.equal('allow');
    });

    it('ignores cookies and query parameters unless configured', async () => {
      const token = await signToken(signer, oktaClaims());
      expectDeny(await decide(view({ cookie: [`at=${token}`] }, { rawQuery: `access_token=${token}` }), config(), sets), 401, null, 'token_missing');
    });

    it('refuses a token sent in two places (RFC 6750 §2)', async () => {
      const token = await signToken(signer, oktaClaims());
      const c = config({ token_cookie: 'at', token_query_param: 'access_token' });
      expectDeny(await decide(bearer(token, { cookie: [`at=${token}`] }), c, sets), 400, 'invalid_request', 'request_invalid');
      expectDeny(await decide(bearer(token, {}, { rawQuery: `access_token=${token}` }), c, sets), 400, 'invalid_request', 'request_invalid');
      expectDeny(await decide(view({ cookie: [`at=${token}`, `at=${token}`] }), c, sets), 400, 'invalid_request', 'request_invalid');
    });
  });

  describe('spoofed identity in any spelling (letter case, _ for -), on every path', () => {
    const spoofs = { 'x-user-sub': ['admin'], x_user_sub: ['admin'], 'x-user_email': ['root@corp'], x_consumer_username: ['admin'], 'x-consumer-id': ['forged'] };
    const managed = (extra: Record<string, unknown> = {}) => config({ anonymous: 'anon-user', ...extra });

    it('allow: the mapped header is set, every other spelling is cleared as the client sent it', async () => {
      const token = await signToken(signer, oktaClaims());
      const d = (await decide(bearer(token, spoofs), config({ consumer_claim: 'sub' }), sets)) as Allow;
      expect(d.setHeaders).to.include({ 'X-User-Sub': 'alice@example.com' });
      expect(d.clearHeaders).to.have.members(['x-user-sub', 'x_user_sub', 'x-user_email', 'x_consumer_username', 'x-consumer-id']);
    });

    it('pass (preflight with run_on_preflight off): every spelling is cleared', async () => {
      const preflight = { origin: ['https://app'], 'access-control-request-method': ['GET'], ...spoofs };
      const d = await decide(view(preflight, { method: 'OPTIONS' }), config({ run_on_preflight: false, consumer_claim: 'sub' }), sets);
      expect(d).to.deep.equal({ kind: 'pass', clearHeaders: ['x-user-sub', 'x_user_sub', 'x-user_email', 'x_consumer_username', 'x-consumer-id'] });
    });

    it('pass (another auth plugin authenticated, logical OR): the consumer headers it wrote stay, other spellings go', async () => {
      const d = await decide(view(spoofs, { alreadyAuthenticated: true }), managed(), sets);
      expect(d).to.deep.equal({ kind: 'pass', clearHeaders: ['x-user-sub', 'x_user_sub', 'x-user_email', 'x_consumer_username'] });
    });

    it('anonymous and dry-run: every spelling is cleared', async () => {
      const anonymous = (await decide(view(spoofs), managed(), sets)) as Allow;
      expect(anonymous.clearHeaders).to.have.members(['x-user-sub', 'x_user_sub', 'x-user_email', 'x_consumer_username', 'x-consumer-id']);
      const observed = await decide(view(spoofs), config({ dry_run: true }), sets);
      expect(observed).to.deep.include({ kind: 'observe', clearHeaders: ['x-user-sub', 'x_user_sub', 'x-user_email'] });
    });

    it('asks for no clear at all when the client sent none of them', async () => {
      const token = await signToken(signer, oktaClaims());
      expect(((await decide(bearer(token, { 'x-other': ['1'] }), config(), sets)) as Allow).clearHeaders).to.deep.equal([]);
    });
  });

  describe('one credential means one (query parameter, hide_credentials, cnf)', () => {
    const query = (extra: Record<string, unknown> = {}) => config({ token_query_param: 'access_token', ...extra });

    it('refuses a repeated token parameter, one past Kong\'s 100 arguments beside a header token, and one after a ;', async () => {
      const token = await signToken(signer, oktaClaims());
      const filler = Array.from({ length: 100 }, (_, i) => `f${i}=1`).join('&');
      expectDeny(await decide(view({}, { rawQuery: `access_token=${token}&access_token=forged` }), query(), sets), 400, 'invalid_request', 'request_invalid');
      expectDeny(await decide(bearer(token, {}, { rawQuery: `${filler}&access_token=forged` }), query(), sets), 400, 'invalid_request', 'request_invalid');
      expectDeny(await decide(bearer(token, {}, { rawQuery: 'x=1;access_token=forged' }), query(), sets), 400, 'invalid_request', 'request_invalid');
      expectDeny(await decide(view({}, { rawQuery: `access_token=${token}&access_token=` }), query(), sets), 400, 'invalid_request', 'request_invalid');
    });

    it('hide_credentials removes the token where it came from: the header, the query or the cookie', async () => {
      const token = await signToken(signer, oktaClaims());
      const hide = { hide_credentials: true, token_cookie: 'at' };
      const fromQuery = (await decide(view({}, { rawQuery: `a=1&access_token=${token}&b=2` }), query(hide), sets)) as Allow;
      expect(fromQuery).to.deep.include({ kind: 'allow', rawQuery: 'a=1&b=2', clearHeaders: [] });
      const fromCookie = (await decide(view({ cookie: [`a=1; at=${token}`, 'b=2'] }, { rawQuery: '' }), query(hide), sets)) as Allow;
      // Cleared as well as set: with the fail-closed guard the post-function sets it after the plugins between.
      expect(fromCookie).to.deep.include({ rawQuery: null, clearHeaders: ['cookie'] });
      expect(fromCookie.setHeaders.Cookie).to.equal('a=1; b=2');
      const onlyCookie = (await decide(view({ cookie: [`at=${token}`] }, { rawQuery: '' }), query(hide), sets)) as Allow;
      expect(onlyCookie.clearHeaders).to.deep.equal(['cookie']);
      const fromHeader = (await decide(bearer(token, {}, { rawQuery: 'a=1' }), query(hide), sets)) as Allow;
      expect(fromHeader).to.deep.include({ rawQuery: null, clearHeaders: ['authorization'] });
    });

    it('marks a request whose query names the token parameter as not loggable', () => {
      const c = query();
      expect(mayLogRequest(view({}, { rawQuery: 'access_token=abc' }), c)).to.equal(false);
      expect(mayLogRequest(view({}, { rawQuery: 'x=1;access_token=abc' }), c)).to.equal(false);
      expect(mayLogRequest(view({}, { rawQuery: 'page=2' }), c)).to.equal(true);
      expect(mayLogRequest(view({}, { rawQuery: null }), config()), 'no query parameter configured').to.equal(true);
    });

    it('refuses a token with any cnf confirmation method (none is verified yet): jwk, jkt, x5t#S256, kid, even empty', async () => {
      for (const cnf of [{ jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } }, { jkt: 'abc' }, { 'x5t#S256': 'abc' }, { kid: 'k1' }, {}]) {
        const token = await signToken(signer, oktaClaims({ cnf }));
        expectDeny(await decide(bearer(token), config(), sets), 401, 'invalid_token', 'token_bound');
      }
    });
  });

  describe('rules that fail closed (unmatched_requests "deny")', () => {
    const strict = () => config({ rules: [{ methods: ['DELETE'], paths: ['/orders/*'], scopes_required: ['orders:write'] }, { methods: ['GET'], paths: ['/orders/*'] }], unmatched_requests: 'deny' });

    it('refuses a request no rule matches with 403, and an ambiguous path with 400, after the token is verified', async () => {
      const token = await signToken(signer, oktaClaims({ scp: ['orders:read'] }));
      expect((await decide(bearer(token, {}, { method: 'GET', path: '/orders/1' }), strict(), sets)).kind).to.equal('allow');
      expectDeny(await decide(bearer(token, {}, { method: 'DELETE', path: '/orders/1' }), strict(), sets), 403, 'insufficient_scope', 'scope_missing');
      expectDeny(await decide(bearer(token, {}, { method: 'PUT', path: '/orders/1' }), strict(), sets), 403, 'insufficient_scope', 'rule_unmatched');
      expectDeny(await decide(bearer(token, {}, { method: 'DELETE', path: '/orders%2F1' }), strict(), sets), 400, 'invalid_request', 'path_ambiguous');
      expectDeny(await decide(view({}, { method: 'PUT', path: '/orders/1' }), strict(), sets), 401, null, 'token_missing');
    });
  });

  describe('consumers', () => {
    it('names the consumer from the configured claim and clears spoofed consumer headers', async () => {
      const token = await signToken(signer, oktaClaims());
      const d = (await decide(bearer(token, { 'x-consumer-username': ['admin'] }), config({ consumer_claim: 'sub', consumer_required: true }), sets)) as Allow;
      expect(d.consumer).to.deep.equal({ value: 'alice@example.com', lookup: 'username', required: true, anonymous: false, credential: 'alice@example.com' });
      expect(d.clearHeaders).to.include('x-consumer-username');
    });

    it('lets a missing or invalid token through as the anonymous consumer, but not a token lacking a scope', async () => {
      const c = config({ anonymous: 'anon-user', claims_to_headers: [{ claim: 'sub', header: 'X-User-Sub' }] });
      const anonymous = (await decide(view({ 'x-user-sub': ['spoofed'] }), c, sets)) as Allow;
      expect(anonymous.kind).to.equal('allow');
      expect(anonymous.consumer).to.deep.include({ value: 'anon-user', lookup: 'any', anonymous: true });
      expect(anonymous.clearHeaders).to.deep.equal(['x-user-sub']);
      expect((await decide(bearer('garbage'), c, sets)).kind).to.equal('allow');
      const unscoped = await signToken(signer, oktaClaims({ scp: [] }));
      expectDeny(await decide(bearer(unscoped), c, sets), 403, 'insufficient_scope', 'scope_missing');
    });

    it('stands aside when another auth plugin already authenticated the request (anonymous = logical OR)', async () => {
      expect((await decide(view({}, { alreadyAuthenticated: true }), config({ anonymous: 'anon-user' }), sets)).kind).to.equal('pass');
      expect((await decide(view({}, { alreadyAuthenticated: true }), config(), sets)).kind).to.equal('deny');
    });
  });

  it('in dry-run, reports what it would refuse and strips spoofed headers instead of refusing', async () => {
    const d = await decide(view({ 'x-user-sub': ['spoofed'] }), config({ dry_run: true }), sets);
    expect(d.kind).to.equal('observe');
    expect(d).to.deep.include({ clearHeaders: ['x-user-sub'] });
    expect((d as { wouldDeny: Deny }).wouldDeny.reason).to.equal('token_missing');
  });

  it('applies the rule matching method and path', async () => {
    const token = await signToken(signer, oktaClaims({ scp: ['orders:read'] }));
    const c = config({ rules: [{ methods: ['POST'], paths: ['/orders'], scopes_required: ['orders:write'] }] });
    expectDeny(await decide(bearer(token, {}, { method: 'POST', path: '/orders' }), c, sets), 403, 'insufficient_scope', 'scope_missing');
    expect((await decide(bearer(token, {}, { method: 'GET', path: '/orders' }), c, sets)).kind).to.equal('allow');
  });

  it('answers step-up failures with 401 insufficient_user_authentication and acr_values', async () => {
    const token = await signToken(signer, oktaClaims({ amr: ['pwd'] }));
    const c = config({ authentication: { amr_values: ['mfa'], acr_values: ['urn:okta:loa:2fa:any'], max_age_seconds: 600 } });
    const deny = expectDeny(await decide(bearer(token), c, sets), 401, 'insufficient_user_authentication', 'step_up_required');
    expect(deny.headers['WWW-Authenticate']).to.include('acr_values="urn:okta:loa:2fa:any", max_age=600');
  });
});

function now(): number {
  return Math.floor(Date.now() / 1000);
}

async function rawSigned(signer: TestSigner, payloadJson: string): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payloadJson)).setProtectedHeader({ alg: signer.alg, kid: signer.kid }).sign(signer.privateKey);
}

function tamper(token: string): string {
  const [h, , s] = token.split('.');
  const payload = Buffer.from(JSON.stringify(oktaClaims({ sub: 'admin@example.com' }))).toString('base64url');
  return `${h}.${payload}.${s}`;
}

function unsigned(claims: object): string {
  const h = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
  return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
}

async function hs256WithPublicKey(signer: TestSigner): Promise<string> {
  const secret = new TextEncoder().encode(JSON.stringify(signer.publicJwk));
  return new SignJWT(oktaClaims()).setProtectedHeader({ alg: 'HS256', kid: signer.kid }).sign(secret);
}
