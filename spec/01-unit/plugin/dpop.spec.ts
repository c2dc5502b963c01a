import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { exportJWK } from 'jose';
import { decide, requestNeeds } from '../../../plugin/core/decide';
import type { Decision, Deny } from '../../../plugin/vocabulary/decision';
import type { RequestView } from '../../../plugin/vocabulary/request';
import type { KeySets } from '../../../plugin/verify/verify-token';
import { normaliseConfig } from '../../../plugin/config/normalise';
import { resetVerifiedTokens } from '../../../plugin/cache/verified-tokens';
import { clock } from '../../../plugin/cache/clock';
import { normaliseHtu, requestHtu } from '../../../plugin/dpop/htu';
import { checkProof, type ProofContext } from '../../../plugin/dpop/proof';
import { clearReplayCache } from '../../../plugin/dpop/replay-cache';
import { currentNonce, nonceAccepted } from '../../../plugin/dpop/nonce';
import { accessTokenHash, createDpopKey, dpopProof, type DpopKey } from '../../../dev/dpop-proof';
import { newSigner, oktaClaims, signToken, staticKeySet, TEST_AUDIENCE, TEST_ISSUER, type TestSigner } from '../../support/test-keys';

const HTU = 'https://api.example.com/orders/1';

function config(dpop: Record<string, unknown> = { mode: 'allowed' }, extra: Record<string, unknown> = {}) {
  return normaliseConfig({ issuer: TEST_ISSUER, audiences: [TEST_AUDIENCE], scopes_required: ['orders:read'], dpop, ...extra });
}

describe('DPoP proof checks (RFC 9449 §4.3)', () => {
  let key: DpopKey;
  const token = 'header.payload.signature';
  const settings = config({ mode: 'allowed' }).dpop;
  const ctx = (extra: Partial<ProofContext> = {}): ProofContext => ({ method: 'GET', htu: normaliseHtu(HTU), accessToken: token, jkt: key.jkt, settings, ...extra });
  const proof = (over: { claims?: Record<string, unknown>; header?: Record<string, unknown>; htm?: string; htu?: string } = {}) =>
    dpopProof(key, { htm: over.htm ?? 'GET', htu: over.htu ?? HTU, accessToken: token, claims: over.claims, header: over.header });
  async function failure(p: string, extra: Partial<ProofContext> = {}): Promise<string> {
    const check = await checkProof(p, ctx(extra));
    expect(check.ok, 'the proof was accepted').to.equal(false);
    return check.ok ? '' : `${check.reason}: ${check.description}`;
  }

  before(async () => {
    key = await createDpopKey('ES256');
  });
  beforeEach(() => clearReplayCache());

  it('accepts a proof for this method, URI, token and key, and names what to record against replay', async () => {
    const p = await proof();
    const check = await checkProof(p, ctx());
    const jti = JSON.parse(Buffer.from(p.split('.')[1]!, 'base64url').toString()).jti as string;
    expect(check).to.include({ ok: true, replayKey: createHash('sha256').update(`${key.jkt}\n${jti}`).digest('base64') });
    // Recorded only once the request is authorized (decide), so checking again still passes.
    expect((await checkProof(p, ctx())).ok).to.equal(true);
  });

  it('accepts RSA and EdDSA proof keys from the allow-list', async () => {
    for (const alg of ['RS256', 'PS256']) {
      const other = await createDpopKey(alg);
      const p = await dpopProof(other, { htm: 'GET', htu: HTU, accessToken: token });
      expect((await checkProof(p, ctx({ jkt: other.jkt }))).ok, alg).to.equal(true);
    }
    const ed = await createDpopKey('EdDSA');
    const p = await dpopProof(ed, { htm: 'GET', htu: HTU, accessToken: token });
    expect(await failure(p, { jkt: ed.jkt })).to.match(/algorithm is not accepted/);
  });

  const cases: Array<[string, () => Promise<string>, RegExp]> = [
    ['another method', () => proof({ htm: 'POST' }), /another HTTP method/],
    ['a lower-case method', () => proof({ htm: 'get' }), /another HTTP method/],
    ['another URI', () => proof({ htu: 'https://api.example.com/orders/2' }), /another URI/],
    ['another host', () => proof({ htu: 'https://evil.example.com/orders/1' }), /another URI/],
    ['http instead of https', () => proof({ htu: 'http://api.example.com/orders/1' }), /another URI/],
    ['a relative htu', () => proof({ htu: '/orders/1' }), /another URI/],
    ['another access token', () => proof({ claims: { ath: accessTokenHash('other.token.value') } }), /another access token/],
    ['no ath', () => proof({ claims: { ath: undefined } }), /another access token/],
    ['an iat older than the lifetime', () => proof({ claims: { iat: Math.floor(Date.now() / 1000) - 120 } }), /too old/],
    ['an iat in the future', () => proof({ claims: { iat: Math.floor(Date.now() / 1000) + 60 } }), /in the future/],
    ['no jti', () => proof({ claims: { jti: undefined } }), /lacks jti/],
    ['a string iat', () => proof({ claims: { iat: String(Math.floor(Date.now() / 1000)) } }), /malformed|lacks/],
    ['typ JWT', () => proof({ header: { typ: 'JWT' } }), /typ dpop\+jwt/],
    ['no typ', () => proof({ header: { typ: undefined } }), /typ dpop\+jwt/],
    ['no jwk', () => proof({ header: { jwk: undefined } }), /no jwk/],
    ['a private jwk', async () => proof({ header: { jwk: (await exportJWK(key.privateKey)) } }), /private key material/],
    ['a symmetric jwk', () => proof({ header: { jwk: { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' } } }), /asymmetric public key/],
    ['another key in the header than the signer', async () => {
      const other = await createDpopKey('ES256');
      return proof({ header: { jwk: other.publicJwk } });
    }, /signature is invalid/],
    ['a tampered payload', async () => {
      const [h, , s] = (await proof()).split('.');
      const body = Buffer.from(JSON.stringify({ jti: 'x', htm: 'GET', htu: HTU, iat: Math.floor(Date.now() / 1000), ath: accessTokenHash(token) })).toString('base64url');
      return `${h}.${body}.${s}`;
    }, /signature is invalid/],
    ['not a JWS', async () => 'not-a-jwt', /malformed/],
  ];
  for (const [what, make, expected] of cases) {
    it(`refuses a proof with ${what}`, async () => {
      expect(await failure(await make())).to.match(expected);
    });
  }

  it('refuses a proof whose key is not the one the token is bound to (thumbprint mismatch)', async () => {
    const other = await createDpopKey('ES256');
    expect(await failure(await proof(), { jkt: other.jkt })).to.match(/^dpop_key_mismatch/);
  });

  it('refuses when the request URI cannot be told', async () => {
    expect(await failure(await proof(), { htu: null })).to.match(/another URI/);
  });

  it('a refused proof does not burn its jti', async () => {
    const p = await proof();
    await failure(p, { method: 'POST' });
    expect((await checkProof(p, ctx())).ok).to.equal(true);
  });

  it('refuses a replayed proof past its lifetime as too old (the cache need not outlive it)', async () => {
    const now = clock.now;
    try {
      const p = await proof();
      expect((await checkProof(p, ctx())).ok).to.equal(true);
      const start = Date.now();
      clock.now = () => start + 3_600_000;
      expect(await failure(p)).to.match(/too old/);
    } finally {
      clock.now = now;
    }
  });
});

describe('DPoP server nonces (RFC 9449 §9), stateless', () => {
  const withNonces = (extra: Record<string, unknown> = {}) => config({ mode: 'allowed', require_nonce: true, nonce_lifetime_seconds: 60, ...extra }).dpop;
  const at = <T>(ms: number, body: () => T): T => {
    const now = clock.now;
    clock.now = () => ms;
    try {
      return body();
    } finally {
      clock.now = now;
    }
  };
  const T0 = 1_800_000_000_000;

  it('accepts a nonce in its window and the next, not later, and not one made with another secret', () => {
    const settings = withNonces({ nonce_secret: 'a'.repeat(32) });
    const nonce = at(T0, () => currentNonce(settings));
    expect(nonce).to.match(/^[0-9a-z]+\.[A-Za-z0-9_-]{43}$/);
    expect(at(T0 + 59_000, () => nonceAccepted(nonce, settings))).to.equal(true);
    expect(at(T0 + 60_000, () => nonceAccepted(nonce, settings))).to.equal(true);
    expect(at(T0 + 130_000, () => nonceAccepted(nonce, settings))).to.equal(false);
    expect(at(T0, () => nonceAccepted(nonce, withNonces({ nonce_secret: 'b'.repeat(32) })))).to.equal(false);
    expect(at(T0, () => nonceAccepted(nonce, withNonces()))).to.equal(false); // the process secret
    for (const bad of [undefined, 42, '', 'nodot', `${nonce}x`, `zzzzzzzzzzzzz.${nonce.split('.')[1]}`]) {
      expect(at(T0, () => nonceAccepted(bad, settings)), String(bad)).to.equal(false);
    }
  });

  it('two nodes with the same nonce_secret accept each other\'s nonces', () => {
    const nodeA = withNonces({ nonce_secret: 's'.repeat(40) });
    const nodeB = withNonces({ nonce_secret: 's'.repeat(40) });
    expect(at(T0, () => nonceAccepted(currentNonce(nodeA), nodeB))).to.equal(true);
  });

  it('refuses a proof without the nonce with use_dpop_nonce and a DPoP-Nonce to retry with, then accepts the retry', async () => {
    const signer = await newSigner();
    const key = await createDpopKey('ES256');
    const sets: KeySets = new Map([[TEST_ISSUER, staticKeySet([signer.publicJwk])]]);
    const cfg = config({ mode: 'allowed', require_nonce: true });
    const token = await signToken(signer, oktaClaims({ cnf: { jkt: key.jkt } }));
    const request = async (claims: Record<string, unknown> = {}): Promise<RequestView> => ({
      headers: { authorization: [`DPoP ${token}`], dpop: [await dpopProof(key, { htm: 'GET', htu: HTU, accessToken: token, claims })] },
      method: 'GET', path: null, rawQuery: null, alreadyAuthenticated: false,
      target: { scheme: 'https', host: 'api.example.com', port: 443, pathWithQuery: '/orders/1' },
    });
    const first = (await decide(await request(), cfg, sets)) as Deny;
    expect([first.status, first.reason]).to.deep.equal([401, 'dpop_nonce_required']);
    expect(first.headers['WWW-Authenticate']).to.match(/^DPoP realm="okta-jwt", error="use_dpop_nonce", error_description="[^"]+", algs="ES256 RS256 PS256"$/);
    const nonce = first.headers['DPoP-Nonce'];
    expect(nonceAccepted(nonce, cfg.dpop)).to.equal(true);
    expect((await decide(await request({ nonce: 'forged.nonce' }), cfg, sets) as Deny).reason).to.equal('dpop_nonce_required');
    expect((await decide(await request({ nonce }), cfg, sets)).kind).to.equal('allow');
  });
});

describe('the htu of a request (RFC 9449 §4.3, RFC 3986 §6.2.2–6.2.3)', () => {
  it('normalises case, default ports, dot segments and percent-encoding, and drops query and fragment', () => {
    const base = normaliseHtu('https://api.example.com/a/b~c');
    for (const same of ['HTTPS://API.Example.COM:443/a/b~c', 'https://api.example.com/a/./x/../b%7Ec', 'https://api.example.com/a/b%7ec?x=1#frag']) {
      expect(normaliseHtu(same), same).to.equal(base);
    }
    expect(normaliseHtu('https://api.example.com/a/b%2Fc')).to.not.equal(normaliseHtu('https://api.example.com/a/b/c'));
    expect(normaliseHtu('https://api.example.com:8443/x')).to.equal('https://api.example.com:8443/x');
    expect(normaliseHtu('https://api.example.com')).to.equal('https://api.example.com/');
    expect(normaliseHtu('ftp://api.example.com/x')).to.equal(null);
    expect(normaliseHtu('https://user:pw@api.example.com/x')).to.equal(null);
  });

  it('parses by RFC 3986, not WHATWG URL: a backslash is no slash, tab and # are kept, %2E%2E is no step up', () => {
    const settings = config().dpop;
    const at = (pathWithQuery: string) => requestHtu({ scheme: 'http', host: 'h', port: 80, pathWithQuery }, settings);
    expect(at('/echo/x/..\\..\\admin')).to.equal('http://h/echo/x/..\\..\\admin');
    expect(at('/echo/x/..\\..\\admin')).to.not.equal(normaliseHtu('http://h/admin'));
    expect(at('/echo\\x')).to.not.equal(normaliseHtu('http://h/echo/x'));
    expect(at('/echo\\x')).to.not.equal(normaliseHtu('http://h/echo%5Cx'));
    expect(at('/echo\\x')).to.equal(normaliseHtu('http://h/echo\\x'));
    expect(at('/echo%5cx')).to.equal(normaliseHtu('http://h/echo%5Cx'));
    expect(at('/echo/x#y')).to.not.equal(normaliseHtu('http://h/echo/x'));
    expect(at('/echo/x#y')).to.not.equal(normaliseHtu('http://h/echo/x%23y'));
    expect(at('/ad\tmin')).to.not.equal(normaliseHtu('http://h/admin'));
    expect(at('/a/%2E%2E/admin')).to.equal('http://h/a/../admin');
    expect(at('/a/%2E%2E/admin')).to.not.equal(normaliseHtu('http://h/admin'));
    expect(at('/caf\u00e9/{x}')).to.equal(normaliseHtu('http://h/caf%c3%a9/%7Bx%7D'));
    for (const bad of ['http:h/x', 'http://h:99999/x', 'http://h%41/x', 'http:///x', ' http://h/x', 'http://h/\ud800']) expect(normaliseHtu(bad), bad).to.equal(null);
  });

  it('builds the URI from Kong\'s forwarded scheme, host and port and the raw path, or from external_base_url', () => {
    const settings = config().dpop;
    expect(requestHtu({ scheme: 'http', host: '127.0.0.1', port: 8000, pathWithQuery: '/echo//x?y=1' }, settings)).to.equal('http://127.0.0.1:8000/echo//x');
    expect(requestHtu({ scheme: 'https', host: 'api.example.com', port: '443', pathWithQuery: '/x' }, settings)).to.equal('https://api.example.com/x');
    expect(requestHtu({ scheme: 'http', host: '::1', port: 8000, pathWithQuery: '/x' }, settings)).to.equal('http://[::1]:8000/x');
    expect(requestHtu({ scheme: 'http', host: 'h', port: 80, pathWithQuery: 'http://other/x' }, settings)).to.equal(null);
    const external = config({ mode: 'allowed', external_base_url: 'https://API.example.com/api/' }).dpop;
    expect(external.externalBaseUrl).to.equal('https://api.example.com/api');
    expect(requestHtu({ scheme: null, host: null, port: null, pathWithQuery: '/orders?q' }, external)).to.equal('https://api.example.com/api/orders');
  });
});

describe('DPoP in the decision (pure core)', () => {
  let signer: TestSigner;
  let key: DpopKey;
  let sets: KeySets;
  const target = { scheme: 'https', host: 'api.example.com', port: 443, pathWithQuery: '/orders/1?x=1' };
  const view = (headers: Record<string, string[]>, extra: Partial<RequestView> = {}): RequestView => ({
    headers, method: 'GET', path: null, rawQuery: null, alreadyAuthenticated: false, target, ...extra,
  });
  const bound = (extra: Record<string, unknown> = {}) => signToken(signer, oktaClaims({ cnf: { jkt: key.jkt }, ...extra }));
  const dpopHeaders = async (token: string, proofOptions: Partial<Parameters<typeof dpopProof>[1]> = {}) => ({
    authorization: [`DPoP ${token}`],
    dpop: [await dpopProof(key, { htm: 'GET', htu: HTU, accessToken: token, ...proofOptions })],
  });
  function expectDpopDeny(d: Decision, reason: string, error: string): Deny {
    expect(d.kind, JSON.stringify(d)).to.equal('deny');
    const deny = d as Deny;
    expect([deny.status, deny.reason]).to.deep.equal([401, reason]);
    expect(deny.headers['WWW-Authenticate']).to.match(new RegExp(`^DPoP realm="okta-jwt", error="${error}", error_description="[^"]+", algs="ES256 RS256 PS256"$`));
    return deny;
  }

  before(async () => {
    signer = await newSigner();
    key = await createDpopKey('ES256');
  });
  beforeEach(() => {
    resetVerifiedTokens();
    clearReplayCache();
    sets = new Map([[TEST_ISSUER, staticKeySet([signer.publicJwk])]]);
  });

  it('allows a DPoP-bound token with a valid proof, and again only with a new proof', async () => {
    const token = await bound();
    const headers = await dpopHeaders(token);
    expect((await decide(view(headers), config(), sets)).kind).to.equal('allow');
    expectDpopDeny(await decide(view(headers), config(), sets), 'dpop_proof_replayed', 'invalid_dpop_proof');
    expect((await decide(view(await dpopHeaders(token)), config(), sets)).kind).to.equal('allow');
  });

  it('spends a proof only once the request is authorized: a token refused on one route leaves it usable', async () => {
    const token = await bound({ scp: ['orders:read'] });
    const headers = await dpopHeaders(token);
    const strict = config({ mode: 'allowed' }, { scopes_required: ['admin'] });
    expect((await decide(view(headers), strict, sets) as Deny).reason).to.equal('scope_missing');
    expect((await decide(view(headers), strict, sets) as Deny).reason, 'still a scope refusal, not a replay').to.equal('scope_missing');
    expect((await decide(view(headers), config(), sets)).kind).to.equal('allow');
    expectDpopDeny(await decide(view(headers), config(), sets), 'dpop_proof_replayed', 'invalid_dpop_proof');
  });

  it('of two concurrent uses of one proof, exactly one is let through', async () => {
    const token = await bound();
    const headers = await dpopHeaders(token);
    const kinds = (await Promise.all([1, 2, 3].map(() => decide(view(headers), config(), sets)))).map((d) => d.kind);
    expect(kinds.sort()).to.deep.equal(['allow', 'deny', 'deny']);
  });

  it('a flood of valid proofs on a plugin with a small quota neither evicts another plugin\'s proofs nor outlives its quota', async () => {
    const scoped = (plugin: string, extra: Record<string, unknown> = {}) =>
      normaliseConfig({ issuer: TEST_ISSUER, audiences: [TEST_AUDIENCE], scopes_required: ['orders:read'], dpop: { mode: 'allowed', ...extra }, __plugin_id: plugin });
    const small = scoped('small', { replay_cache_max_entries: 1000 });
    const big = scoped('big');
    const token = await bound();
    const victim = await dpopHeaders(token);
    expect((await decide(view(victim), big, sets)).kind).to.equal('allow');
    for (let i = 0; i < 1000; i++) expect((await decide(view(await dpopHeaders(token)), small, sets)).kind, `proof ${i}`).to.equal('allow');
    const full = await decide(view(await dpopHeaders(token)), small, sets) as Deny;
    expect([full.status, full.reason]).to.deep.equal([503, 'dpop_replay_cache_full']);
    expect(Number(full.headers['Retry-After'])).to.be.within(1, 65);
    expectDpopDeny(await decide(view(victim), big, sets), 'dpop_proof_replayed', 'invalid_dpop_proof');
    expect((await decide(view(await dpopHeaders(token)), big, sets)).kind, 'the other plugin still accepts new proofs').to.equal('allow');
  });

  it('refuses a DPoP-bound token as a bearer token whatever the mode, even once it was verified with a proof', async () => {
    const token = await bound();
    expect((await decide(view(await dpopHeaders(token)), config(), sets)).kind).to.equal('allow');
    for (const mode of ['off', 'allowed']) {
      const d = await decide(view({ authorization: [`Bearer ${token}`] }), config({ mode }), sets);
      expect((d as Deny).reason, mode).to.equal('token_bound');
    }
  });

  it('keeps refusing cnf members other than jkt, with the DPoP scheme too', async () => {
    for (const cnf of [{ 'x5t#S256': 'abc' }, { jkt: key.jkt, 'x5t#S256': 'abc' }, { jkt: 42 }, { jwk: key.publicJwk }]) {
      const token = await signToken(signer, oktaClaims({ cnf }));
      expectDpopDeny(await decide(view(await dpopHeaders(token)), config(), sets), 'token_bound', 'invalid_token');
    }
  });

  it('refuses the DPoP scheme with an unbound token, without a proof, and with two proofs', async () => {
    const unbound = await signToken(signer, oktaClaims());
    expectDpopDeny(await decide(view(await dpopHeaders(unbound)), config(), sets), 'dpop_token_unbound', 'invalid_token');
    const token = await bound();
    expectDpopDeny(await decide(view({ authorization: [`DPoP ${token}`] }), config(), sets), 'dpop_proof_missing', 'invalid_dpop_proof');
    const two = await dpopHeaders(token);
    two.dpop.push(two.dpop[0]);
    expectDpopDeny(await decide(view(two), config(), sets), 'dpop_proof_invalid', 'invalid_dpop_proof');
  });

  it('refuses a proof without a DPoP token (none at all, or a bearer token)', async () => {
    const proof = await dpopProof(key, { htm: 'GET', htu: HTU });
    expectDpopDeny(await decide(view({ dpop: [proof] }), config(), sets), 'dpop_proof_invalid', 'invalid_dpop_proof');
    const unbound = await signToken(signer, oktaClaims());
    expectDpopDeny(await decide(view({ authorization: [`Bearer ${unbound}`], dpop: [proof] }), config(), sets), 'dpop_proof_invalid', 'invalid_dpop_proof');
  });

  it('answers later refusals of a DPoP request in the DPoP scheme (scope)', async () => {
    const token = await bound({ scp: ['profile'] });
    const d = await decide(view(await dpopHeaders(token)), config(), sets);
    expect((d as Deny).headers['WWW-Authenticate']).to.match(/^DPoP realm="okta-jwt", error="insufficient_scope", .*scope="orders:read", algs="ES256 RS256 PS256"$/);
  });

  it('required: refuses bearer tokens with a DPoP challenge; a missing token is challenged for DPoP only', async () => {
    const required = config({ mode: 'required' });
    const unbound = await signToken(signer, oktaClaims());
    expectDpopDeny(await decide(view({ authorization: [`Bearer ${unbound}`] }), required, sets), 'dpop_required', 'invalid_token');
    expect((await decide(view({}), required, sets) as Deny).headers['WWW-Authenticate']).to.equal('DPoP realm="okta-jwt", algs="ES256 RS256 PS256"');
    expect((await decide(view({}), config(), sets) as Deny).headers['WWW-Authenticate']).to.equal('Bearer realm="okta-jwt", DPoP realm="okta-jwt", algs="ES256 RS256 PS256"');
  });

  it('off (the default): the DPoP scheme is not a credential and a DPoP header is ignored', async () => {
    const off = config({});
    expect(off.dpop.mode).to.equal('off');
    const token = await bound();
    const d = await decide(view(await dpopHeaders(token)), off, sets);
    expect((d as Deny).reason).to.equal('token_missing');
    expect((d as Deny).headers['WWW-Authenticate']).to.equal('Bearer realm="okta-jwt"');
    const unbound = await signToken(signer, oktaClaims());
    expect((await decide(view({ authorization: [`Bearer ${unbound}`], dpop: ['x'] }), off, sets)).kind).to.equal('allow');
  });

  it('with anonymous set, a refused DPoP request proceeds as the anonymous consumer, a valid one as the token\'s', async () => {
    const anonymous = config({ mode: 'allowed' }, { anonymous: 'guest', consumer_claim: 'sub' });
    const token = await bound();
    const headers = await dpopHeaders(token);
    const first = await decide(view(headers), anonymous, sets);
    expect(first.kind === 'allow' && first.consumer).to.include({ anonymous: false, value: 'alice@example.com' });
    const replayed = await decide(view(headers), anonymous, sets);
    expect(replayed.kind === 'allow' && replayed.consumer).to.include({ anonymous: true, value: 'guest' });
  });

  it('hide_credentials removes the proof with the token', async () => {
    const d = await decide(view(await dpopHeaders(await bound())), config({ mode: 'allowed' }, { hide_credentials: true }), sets);
    expect(d.kind).to.equal('allow');
    expect((d as { clearHeaders: string[] }).clearHeaders).to.include.members(['authorization', 'DPoP']);
  });

  it('reads the method and the request URI only for requests carrying DPoP', () => {
    const allowed = config();
    expect(requestNeeds(allowed, { authorization: ['Bearer x'] }), 'a bearer request needs only its headers').to.equal(null);
    expect(requestNeeds(allowed, { authorization: ['DPoP x'] })).to.include({ method: true, target: 'origin_and_path' });
    expect(requestNeeds(allowed, { dpop: ['x'] })).to.include({ method: true, target: 'origin_and_path' });
    expect(requestNeeds(config({ mode: 'allowed', external_base_url: 'https://api.example.com' }), { dpop: ['x'] })).to.include({ target: 'path' });
    expect(requestNeeds(config({}), { authorization: ['DPoP x'], dpop: ['x'] }), 'DPoP off: only the headers').to.equal(null);
  });

  it('refuses bad dpop settings at config time, naming the field', () => {
    expect(() => config({ mode: 'sometimes' })).to.throw(/mode must be one of off, allowed, required/);
    expect(() => config({ mode: 'allowed', algorithms: ['HS256'] })).to.throw(/dpop\.algorithms/);
    expect(() => config({ mode: 'allowed', external_base_url: 'https://api.example.com/x?y=1' })).to.throw(/dpop\.external_base_url/);
    expect(() => config({ mode: 'allowed', external_base_url: 'ftp://api.example.com' })).to.throw(/dpop\.external_base_url/);
  });
});

